"""What the API lets each role do: every request needs the model permissions of its action.

The role groups (accounts.roles) grant Django model permissions; the API asks for them the way
the dashboard does, so a role means the same thing in both.
"""

from typing import Any

from django.contrib.auth.models import User
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.views import APIView

VIEW = "%(app_label)s.view_%(model_name)s"
# The router's own actions; any other action (a transition) must name its permissions.
STANDARD_ACTIONS = frozenset(
    {"list", "retrieve", "create", "update", "partial_update", "destroy", "metadata"}
)


class RolePermissions(DjangoModelPermissions):
    """DjangoModelPermissions, except that reading needs the view permission too, and that
    `@action`s get theirs from the view's `action_permissions` (an unmapped action is refused).
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "OPTIONS": [VIEW],
        "HEAD": [VIEW],
    }

    def has_permission(self, request: Request, view: APIView) -> bool:
        action = getattr(view, "action", None)
        mapped: dict[str, tuple[str, ...]] = getattr(view, "action_permissions", {})
        if action in mapped:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(mapped[action]))
        if action not in STANDARD_ACTIONS:
            return False
        return super().has_permission(request, view)


def acting_user(request: Request | Any) -> User:
    """The signed-in user behind `request`, typed for the services (which record who acted)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated
    return request.user
