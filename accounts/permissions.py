"""What each role may do: every request needs the permissions of its action.

The role groups (accounts.roles) grant Django model permissions; accounts.roles.ACTION_PERMISSIONS
says which ones each action needs, and both the dashboard (`requires`) and the API
(`RolePermissions`) read it there, so a role means the same thing in both.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import AnonymousUser, User
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.roles import ACTION_PERMISSIONS, Action

VIEW = "%(app_label)s.view_%(model_name)s"
# The router's own actions; any other action (a transition) must name its permissions.
STANDARD_ACTIONS = frozenset(
    {"list", "retrieve", "create", "update", "partial_update", "destroy", "metadata"}
)
ViewT = TypeVar("ViewT", bound=Callable[..., Any])


def may(user: User | AnonymousUser, action: Action) -> bool:
    """Whether `user` holds every permission `action` needs."""
    return user.has_perms(ACTION_PERMISSIONS[action])


def requires(action: Action) -> Callable[[ViewT], ViewT]:
    """A dashboard view's guard: 403 unless the user may do `action` (the view records it)."""
    guard = permission_required(ACTION_PERMISSIONS[action], raise_exception=True)

    def decorate(view: ViewT) -> ViewT:
        guarded: ViewT = guard(view)
        guarded.action = action  # type: ignore[attr-defined]  # read by the permission tests
        return guarded

    return decorate


class RolePermissions(DjangoModelPermissions):
    """DjangoModelPermissions, except that reading needs the view permission too, and that
    the view's `action_permissions` (viewset action -> accounts.roles.Action) name the
    permissions of the actions they map; an unmapped action that is not standard is refused.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "OPTIONS": [VIEW],
        "HEAD": [VIEW],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        action = getattr(view, "action", None)
        mapped: dict[str, Action] = getattr(view, "action_permissions", {})
        if action in mapped:
            user = request.user
            return bool(user and user.is_authenticated and may(user, mapped[action]))
        if action not in STANDARD_ACTIONS:
            return False
        return super().has_permission(request, view)


def acting_user(request: Request | Any) -> User:
    """The signed-in user behind `request`, typed for the services (which record who acted)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated
    return request.user
