"""Every operator action, through the dashboard and the API, leaves exactly one audit entry
saying who, from where and what; the actions it is made of (resolving hangs up each call)
add none of their own, and the system's own doings add none at all."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import AsyncClient, Client
from rest_framework.authtoken.models import Token

from accounts.roles import Action, Role
from accounts.services import assign_role
from audit.models import AuditAction, AuditEntry, Source
from audit.origin import acting_for
from calls.models import Call, CallState, Participant, ParticipantState
from calls.services import hang_up_call
from incidents.models import Incident
from tests.callouts.declared import declared_callout
from tests.conftest import token_client
from tests.factories import UserFactory
from tests.provider_fake import FakeProvider
from tests.security.actions import action_routes, body_for
from tests.security.matrix import path_for
from tests.security.requests import is_api
from tests.security.world import build_objects

pytestmark = pytest.mark.django_db

ACTION_ROUTES = action_routes()
ACTIONS = [a for a in Action if a != Action.VIEW]


def _world_for(action: Action) -> dict[str, Any]:
    world = build_objects()
    if action == Action.REDIAL:  # only a call that has ended rings its people again
        Call.objects.filter(pk=world["failed_call"]).update(state=CallState.TERMINATED)
    if action == Action.RING_AGAIN:  # only someone whose attempt is over is rung again
        Participant.objects.filter(pk=world["participant"]).update(state=ParticipantState.LEFT)
    return world


def _send(client: Any, method: str, path: str, body: Any, *, api: bool) -> int:
    if not api:
        # As the page's script asks: the answer's status says whether it was done.
        return int(client.post(path, body or {}, HTTP_ACCEPT="application/json").status_code)
    if body is None:
        return int(client.generic(method, path).status_code)
    return int(getattr(client, method.lower())(path, body, format="json").status_code)


def _walk(user: User, action: Action, *, api: bool) -> list[AuditEntry]:
    """Each request of `action`, on a fresh world; the one entry each left."""
    entries = []
    for method, route in ACTION_ROUTES[action]:
        if is_api(route) != api:
            continue
        world = _world_for(action)
        if api:
            client: Any = token_client(user)
        else:
            client = Client()
            client.force_login(user)
        before = AuditEntry.objects.count()
        path = path_for(route, world)
        status = _send(client, method, path, body_for(route, world), api=api)
        assert status < 400, f"{method} {path}: {status}"
        made = list(AuditEntry.objects.order_by("id")[before:])
        assert len(made) == 1, f"{method} {path}: {[str(e) for e in made]}"
        entries.append(made[0])
    return entries


@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_each_dashboard_action_leaves_one_entry(
    action: Action, operator: User, provider: FakeProvider
) -> None:
    for entry in _walk(operator, action, api=False):
        assert entry.action == AuditAction(action.value)
        assert (entry.actor, entry.actor_name) == (operator, operator.username)
        assert entry.source == Source.DASHBOARD
        assert entry.address == "127.0.0.1"
        assert entry.incident_number is not None
        assert entry.summary


@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_each_api_action_leaves_one_entry(
    action: Action, operator: User, provider: FakeProvider
) -> None:
    for entry in _walk(operator, action, api=True):
        assert entry.action == AuditAction(action.value)
        assert entry.actor == operator
        assert entry.source == Source.API_TOKEN
        assert entry.address == "127.0.0.1"


def test_the_api_signed_in_by_session_is_told_from_a_token(
    operator: User, provider: FakeProvider
) -> None:
    world = build_objects()
    client = Client()
    client.force_login(operator)
    assert client.post(f"/api/calls/{world['call']}/hangup/").status_code == 200
    entry = AuditEntry.objects.get()
    assert (entry.source, entry.action, entry.target_id) == (
        Source.API,
        AuditAction.HANG_UP,
        str(world["call"]),
    )


def test_the_address_is_the_clients(operator: User, provider: FakeProvider) -> None:
    world = build_objects()
    client = token_client(operator)
    response = client.post(f"/api/calls/{world['call']}/hangup/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert AuditEntry.objects.get().address == "203.0.113.7"


def test_resolving_a_call_out_is_one_entry_however_much_it_stops(
    operator: User, provider: FakeProvider
) -> None:
    callout = declared_callout(3)
    response = token_client(operator).post(f"/api/incidents/{callout.incident_id}/resolve/")
    assert response.status_code == 200
    callout.refresh_from_db()
    assert callout.state == "stopped"  # the call-out was stopped too, as part of resolving
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_type) == (AuditAction.RESOLVE, "incidents.incident")
    assert entry.incident_number == callout.incident_id


def test_what_the_system_does_of_itself_is_no_ones_action(provider: FakeProvider) -> None:
    world = build_objects()  # declared with nobody signed in: a test's set-up, like a command's
    hang_up_call(call=Call.objects.get(pk=world["call"]), actor=None, said="Nobody answered.")
    assert not AuditEntry.objects.exists()


def test_background_work_acting_on_purpose_is_recorded_as_the_system(
    provider: FakeProvider,
) -> None:
    world = build_objects()
    with acting_for(source=Source.SYSTEM, via="escalation step 2"):
        hang_up_call(call=Call.objects.get(pk=world["call"]), actor=None)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.source, entry.via, entry.actor) == (
        AuditAction.HANG_UP,
        Source.SYSTEM,
        "escalation step 2",
        None,
    )


def test_an_address_that_is_not_one_is_left_out(operator: User, provider: FakeProvider) -> None:
    world = build_objects()
    response = token_client(operator).post(
        f"/api/calls/{world['call']}/hangup/", REMOTE_ADDR="unix:/run/daphne.sock"
    )
    assert response.status_code == 200
    assert AuditEntry.objects.get().address is None


def test_a_service_called_outside_a_request_names_the_system_as_source(
    operator: User, provider: FakeProvider
) -> None:
    declared_callout(1, by=operator)  # a command or the shell, as a person
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.source, entry.actor) == (
        AuditAction.DECLARE,
        Source.SYSTEM,
        operator,
    )
    assert entry.target_id == str(Incident.objects.get().pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_origin_reaches_the_service_under_asgi(provider: FakeProvider) -> None:
    """As daphne serves it: the middleware's context reaches the view's thread."""
    world, key = await sync_to_async(_operator_world)()
    response = await AsyncClient().post(
        f"/api/calls/{world['call']}/hangup/",
        headers={"Authorization": f"Token {key}"},
    )
    assert response.status_code == 200
    entry = await AuditEntry.objects.aget()
    assert (entry.source, entry.address, entry.actor_name) == (
        Source.API_TOKEN,
        "127.0.0.1",  # the ASGI scope's client, as daphne fills it from the socket
        "operator",
    )


def _operator_world() -> tuple[dict[str, Any], str]:
    user = assign_role(user=UserFactory.create(username="operator"), role=Role.OPERATOR)
    return build_objects(), Token.objects.create(user=user).key
