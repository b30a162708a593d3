"""One map of action → permission (accounts.roles.ACTION_PERMISSIONS), used by both interfaces.

Every dashboard action URL and every API action is walked for every role, and for a user who
holds exactly one action's permissions; each is allowed exactly when the map says so.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import URLPattern, get_resolver
from rest_framework.routers import DefaultRouter

from accounts.roles import ACTION_PERMISSIONS, ROLE_PERMISSIONS, Action, Role
from callouts.models import RecipientStatus
from calls.models import Call, CallMode
from config import api_urls
from tests.callouts.declared import declared_callout, numbers
from tests.conftest import token_client
from tests.escalations.scenario import declare, policy
from tests.factories import UserFactory, one_of_everything
from tests.provider_fake import FakeProvider

Request = tuple[str, str, dict[str, Any] | None]  # method, path template, body

# Each action, as the dashboard and the API ask for it. Bodies are valid where there is one.
DASHBOARD: dict[Action, list[Request]] = {
    Action.VIEW: [("GET", "/", None), ("GET", "/incidents/{incident}/", None)],
    Action.DECLARE: [("GET", "/incidents/declare/", None)],
    Action.RESOLVE: [("POST", "/incidents/{incident}/resolve/", None)],
    Action.CANCEL: [("POST", "/incidents/{incident}/cancel/", None)],
    Action.INVITE: [("POST", "{call_page}/invite/", {"numbers": "+14255550109"})],
    Action.REMOVE: [("POST", "{call_page}/participants/{participant}/remove/", None)],
    Action.PLAY: [("POST", "{call_page}/play/", {"prompt": "{prompt}"})],
    Action.STOP_AUDIO: [("POST", "{call_page}/stop-audio/", None)],
    Action.HANG_UP: [("POST", "{call_page}/hang-up/", None)],
    Action.RETRY: [("POST", "{failed_call_page}/retry/", None)],
    Action.REDIAL: [("POST", "{failed_call_page}/redial/", None)],
    Action.RING_AGAIN: [
        ("POST", "{call_page}/participants/{participant}/ring-again/", None),
        ("POST", "/incidents/{callout_incident}/recipients/{recipient}/ring-again/", None),
    ],
    Action.STOP_CALLOUT: [("POST", "/incidents/{callout_incident}/callout/stop/", None)],
    Action.ESCALATE: [("POST", "/incidents/{escalating_incident}/escalate/", None)],
}
API: dict[Action, list[Request]] = {
    Action.VIEW: [
        ("GET", "/api/incidents/", None),
        ("GET", "/api/incidents/{incident}/", None),
        ("GET", "/api/incidents/{incident}/timeline/", None),
        ("GET", "/api/calls/{call}/", None),
        ("GET", "/api/incidents/{callout_incident}/callout/", None),
        ("GET", "/api/incidents/{callout_incident}/recipients/", None),
    ],
    Action.DECLARE: [("POST", "/api/incidents/", {"title": "Fire", "targets": ["+14255550101"]})],
    Action.RESOLVE: [("POST", "/api/incidents/{incident}/resolve/", None)],
    Action.CANCEL: [("POST", "/api/incidents/{incident}/cancel/", None)],
    Action.INVITE: [("POST", "/api/calls/{call}/participants/", {"targets": ["+14255550109"]})],
    Action.REMOVE: [("DELETE", "/api/calls/{call}/participants/{participant}/", None)],
    Action.PLAY: [("POST", "/api/calls/{call}/play/", {"prompt": "{prompt}"})],
    Action.STOP_AUDIO: [("POST", "/api/calls/{call}/cancel-media/", None)],
    Action.HANG_UP: [("POST", "/api/calls/{call}/hangup/", None)],
    Action.RETRY: [("POST", "/api/calls/{failed_call}/retry/", None)],
    Action.REDIAL: [("POST", "/api/calls/{failed_call}/redial/", None)],
    Action.RING_AGAIN: [
        ("POST", "/api/calls/{call}/participants/{participant}/ring-again/", None),
        ("POST", "/api/incidents/{callout_incident}/recipients/{recipient}/ring-again/", None),
    ],
    Action.STOP_CALLOUT: [("POST", "/api/incidents/{callout_incident}/callout/stop/", None)],
    Action.ESCALATE: [("POST", "/api/incidents/{escalating_incident}/escalate/", None)],
}
# What the README's Roles section promises each role.
ROLE_MAY: dict[str, set[Action]] = {
    "no role": set(),
    Role.VIEWER: {Action.VIEW},
    Role.OPERATOR: set(Action),
    Role.ADMIN: set(Action),
}


def _world() -> dict[str, Any]:
    world: dict[str, Any] = one_of_everything()
    callout = declared_callout(1)
    world["callout_incident"] = callout.incident_id
    recipient = callout.recipients.get()
    recipient.status = RecipientStatus.NOT_REACHED  # rung, not reached: can be rung again
    recipient.save(update_fields=["status"])
    world["recipient"] = recipient.pk
    steps = ([numbers(1, first=200)[0]], CallMode.BROADCAST, 600)
    world["escalating_incident"] = declare(policy(steps, steps)).pk
    for name in ("call", "failed_call"):
        incident_id = Call.objects.values_list("incident_id", flat=True).get(pk=world[name])
        world[f"{name}_page"] = f"/incidents/{incident_id}/calls/{world[name]}"
    return world


def _filled(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {k: _filled(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, world) for v in value]
    return value


def _dashboard(user: User) -> Callable[[str, str, Any], int]:
    client = Client()
    client.force_login(user)

    def send(method: str, path: str, body: Any) -> int:
        if method == "GET":
            return client.get(path).status_code
        return client.post(path, body or {}).status_code

    return send


def _api(user: User) -> Callable[[str, str, Any], int]:
    client = token_client(user)

    def send(method: str, path: str, body: Any) -> int:
        return (
            client.generic(method, path).status_code
            if body is None
            else getattr(client, method.lower())(path, body, format="json").status_code
        )

    return send


def _assert_allowed_exactly(user: User, may: set[Action]) -> None:
    for interface, table in (("dashboard", DASHBOARD), ("api", API)):
        for action in ACTION_PERMISSIONS:
            for method, path, body in table[action]:
                world = _world()  # fresh, so an earlier action cannot spoil this one
                send = _dashboard(user) if interface == "dashboard" else _api(user)
                status = send(method, _filled(path, world), _filled(body, world))
                where = f"{interface} {method} {path} as {user.username}"
                if action in may:
                    assert status != 403 and status < 500, f"{where}: {status}"
                else:
                    assert status == 403, f"{where}: {status}"


def test_every_action_of_both_interfaces_is_in_the_map() -> None:
    assert set(DASHBOARD) == set(API) == set(ACTION_PERMISSIONS) == set(Action)
    dashboard_views = {
        p.callback for p in get_resolver("incidents.urls").url_patterns if isinstance(p, URLPattern)
    }
    assert {getattr(view, "action", None) for view in dashboard_views} == set(Action)
    router: DefaultRouter = api_urls.router
    for _, viewset, _ in router.registry:
        mapped = getattr(viewset, "action_permissions", {})
        assert set(mapped.values()) <= set(Action), viewset.__name__
    incident_and_call_actions = {
        action
        for _, viewset, _ in router.registry
        if viewset.__name__
        in ("IncidentViewSet", "IncidentCalloutViewSet", "IncidentEscalationViewSet", "CallViewSet")
        for action in getattr(viewset, "action_permissions", {}).values()
    }
    assert incident_and_call_actions == set(Action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_MAY), ids=str)
def test_each_role_may_do_exactly_what_the_map_grants_it(role: str, provider: FakeProvider) -> None:
    user = UserFactory.create(username=f"as-{role}".replace(" ", "-"))
    if role != "no role":
        user.groups.add(Group.objects.get(name=role))
        granted = {f"{app}.{codename}" for app, codename in ROLE_PERMISSIONS[Role(role)]}
    else:
        granted = set()
    assert {a for a, perms in ACTION_PERMISSIONS.items() if set(perms) <= granted} == ROLE_MAY[role]
    _assert_allowed_exactly(User.objects.get(pk=user.pk), ROLE_MAY[role])


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a in Action if a != Action.VIEW], ids=str)
def test_an_actions_own_permissions_are_enough_in_both_interfaces(
    action: Action, provider: FakeProvider
) -> None:
    user = UserFactory.create(username=f"only-{action}")
    for perm in (*ACTION_PERMISSIONS[Action.VIEW], *ACTION_PERMISSIONS[action]):
        app, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    may = {a for a, perms in ACTION_PERMISSIONS.items() if user.has_perms(perms)}
    assert {Action.VIEW, action} <= may
    _assert_allowed_exactly(User.objects.get(pk=user.pk), may)
