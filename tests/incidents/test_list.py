"""The incident list page: search, filters, pagination, counts, and its live updates."""

import asyncio
import json
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from callouts.models import RecipientStatus
from calls.models import CallMode, CallState, Participant, ParticipantState
from calls.targets import resolve_targets
from incidents.events import INCIDENT_LIST_GROUP
from incidents.models import Incident, IncidentStatus
from incidents.services import declare_incident, resolve_incident, transition_incident
from tests.factories import CallFactory, IncidentFactory, ParticipantFactory, UserFactory
from tests.incidents.test_callout_page import attempt_each, callout_incident
from tests.provider_callbacks import callback, post
from tests.provider_fake import FakeProvider

LEG = "0a1f0000-1111-2222-3333-444455556666"
CLOSED = {"status": IncidentStatus.RESOLVED, "closed_at": "2026-01-01T00:00Z"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def titles(content: bytes) -> list[str]:
    return re.findall(
        r'<td data-label="Title" class="title"><a href="[^"]+">([^<]+)</a>', content.decode()
    )


@pytest.mark.django_db
def test_open_incidents_come_first(viewer: User) -> None:
    IncidentFactory.create(title="Old open")
    IncidentFactory.create(title="New closed", **CLOSED)
    IncidentFactory.create(title="New open")
    assert titles(client_for(viewer).get("/").content) == ["New open", "Old open", "New closed"]


@pytest.mark.django_db
def test_search_by_title_ignores_case(viewer: User) -> None:
    IncidentFactory.create(title="Checkout is down")
    IncidentFactory.create(title="Login slow")
    page = client_for(viewer).get("/", {"q": "CHECKOUT"})
    assert titles(page.content) == ["Checkout is down"]
    assert b'value="CHECKOUT"' in page.content


@pytest.mark.django_db
def test_an_invalid_filter_says_so_next_to_it_and_the_valid_ones_still_apply(
    viewer: User,
) -> None:
    IncidentFactory.create(title="Checkout is down")
    IncidentFactory.create(title="Checkout is slow", **CLOSED)
    IncidentFactory.create(title="Login slow")
    page = client_for(viewer).get("/", {"status": "exploded", "q": "checkout"})
    assert page.status_code == 200
    body = page.content.decode()
    assert re.search(
        r'id="id_status_error">Select a valid choice\. exploded is not one of the available '
        r"choices\. This filter is not applied\.",
        body,
    )
    assert 'aria-describedby="id_status_error"' in body
    assert titles(page.content) == ["Checkout is down", "Checkout is slow"]


@pytest.mark.django_db
def test_the_list_pages_through_every_incident(viewer: User) -> None:
    Incident.objects.bulk_create(Incident(title=f"Incident {n:03}") for n in range(230))
    client = client_for(viewer)
    first = client.get("/")
    assert len(titles(first.content)) == 25
    assert b"230 incidents, 1\xe2\x80\x9325 shown" in first.content
    assert b'href="?page=10" aria-label="Page 10"' in first.content  # the last page
    last = client.get("/", {"page": 10})
    assert len(titles(last.content)) == 5
    assert b'aria-current="page"' in last.content


@pytest.mark.django_db
def test_page_links_keep_the_search_and_filters(viewer: User) -> None:
    Incident.objects.bulk_create(Incident(title=f"Disk full {n}") for n in range(30))
    page = client_for(viewer).get("/", {"q": "disk", "severity": "major"})
    assert b'href="?q=disk&amp;severity=major&amp;page=2"' in page.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ("99", "There is no page 99; showing page 2 of 2."),
        ("abc", "Page numbers are whole numbers. Showing page 1."),
        ("0", "Ensure this value is greater than or equal to 1. Showing page 1."),
    ],
)
def test_a_page_that_does_not_exist_is_said_so(viewer: User, asked: str, message: str) -> None:
    Incident.objects.bulk_create(Incident(title=f"Incident {n}") for n in range(30))
    page = client_for(viewer).get("/", {"page": asked})
    assert page.status_code == 200
    assert message in page.content.decode()
    assert len(titles(page.content)) == (5 if asked == "99" else 25)


@pytest.mark.django_db
def test_called_counts_people_and_reached_counts_only_those_who_pressed_the_key(
    viewer: User,
) -> None:
    incident = IncidentFactory.create(title="Counted")
    first, second = CallFactory.create_batch(2, incident=incident)
    Participant.objects.bulk_create(
        [
            Participant(call=first, identifier="+14255550101", acknowledged=True),
            Participant(call=first, identifier="+14255550102", state="joined"),  # no key
            Participant(call=first, identifier="+14255550103", state="failed"),
            # Rung again on another call: still one person, reached once.
            Participant(call=second, identifier="+14255550101", acknowledged=True),
        ]
    )
    body = client_for(viewer).get("/").content.decode()
    assert '<td data-label="Called" class="num" data-called>3</td>' in body
    assert '<td data-label="Reached" class="num" data-reached>1</td>' in body


@pytest.mark.django_db
def test_a_call_out_counts_its_recipients_tried_and_those_who_answered_by_key(
    viewer: User,
) -> None:
    incident = callout_incident(6, title="Counted call-out")
    statuses = [
        RecipientStatus.ACKNOWLEDGED,
        RecipientStatus.DECLINED,  # "cannot help", by key: reached
        RecipientStatus.NOT_REACHED,
        RecipientStatus.FAILED,
        RecipientStatus.DIALLING,
        RecipientStatus.PENDING,  # not called yet
    ]
    recipients = list(incident.callout.recipients.order_by("position"))
    for recipient, status in zip(recipients, statuses, strict=True):
        recipient.status = status
        recipient.attempts_made = 0 if status == RecipientStatus.PENDING else 1
        recipient.save(update_fields=["status", "attempts_made"])
    # Each attempt is a call of its own, with its one person: they are not counted twice.
    # (The one being dialled has no participant yet: the request is on its way.)
    for attempt in attempt_each(recipients[:5])[:4]:
        ParticipantFactory.create(call=attempt.call, identifier=attempt.recipient.identifier)
    # The first acknowledged joins the bridge (pressing 9); someone else is invited into it.
    bridge = CallFactory.create(incident=incident, mode=CallMode.BRIDGE)
    ParticipantFactory.create(call=bridge, identifier=recipients[0].identifier, acknowledged=True)
    ParticipantFactory.create(call=bridge, identifier="+14255550199", acknowledged=True)
    body = client_for(viewer).get("/").content.decode()
    assert '<td data-label="Called" class="num" data-called>6</td>' in body
    assert '<td data-label="Reached" class="num" data-reached>3</td>' in body


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_incidents_or_people(viewer: User) -> None:
    client = client_for(viewer)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    IncidentFactory.create()
    small = count_queries()
    for _ in range(30):
        call = CallFactory.create(incident=IncidentFactory.create())
        Participant.objects.bulk_create(
            Participant(call=call, identifier=f"+1425555{n:04}", acknowledged=n % 2 == 0)
            for n in range(20)
        )
    for _ in range(3):
        callout_incident(200)
    assert count_queries() == small
    assert small <= 8


# --- Live updates ---------------------------------------------------------------------------


class ListListener:
    def __init__(self) -> None:
        layer = get_channel_layer()
        assert layer is not None
        self.layer = layer
        self.channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(INCIDENT_LIST_GROUP, self.channel)

    def messages(self) -> list[dict[str, Any]]:
        async def receive_all() -> list[dict[str, Any]]:
            received: list[dict[str, Any]] = []
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.05)
                except TimeoutError:
                    return received
                received.append(json.loads(json.dumps(message)))  # as Redis would carry it

        return async_to_sync(receive_all)()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_declaring_and_resolving_tell_the_list(operator: User, provider: FakeProvider) -> None:
    listener = ListListener()
    incident = declare_incident(
        title="Checkout is down",
        targets=resolve_targets(groups=[], contacts=[], numbers=["+14255550101"]),
        declared_by=operator,
    )
    declared = [m["incident"] for m in listener.messages()]
    # Declared, then active once its call is out.
    assert [m["status"] for m in declared] == ["declared", "active"]
    assert declared[0] == {
        "id": incident.pk,
        "title": "Checkout is down",
        "severity": "major",
        "status": "declared",
        "status_label": "Declared",
    }
    resolve_incident(incident=incident, actor=operator)
    assert [m["incident"]["status"] for m in listener.messages()] == ["resolved"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_acknowledgement_tells_the_list(db: None) -> None:
    call = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHED)
    ParticipantFactory.create(call=call, identifier="+14255550101", state=ParticipantState.RINGING)
    post(call, [callback("ParticipantsUpdated", call=call, people=["+14255550101"])])
    listener = ListListener()
    post(call, [callback("ToneReceived", call=call, key="1", who="+14255550101")])
    assert [m["incident"]["id"] for m in listener.messages()] == [call.incident_id]
    post(call, [callback("ToneReceived", call=call, key="2", who="+14255550101")])
    assert listener.messages() == []  # Only a new acknowledgement changes the counts.


@pytest.mark.django_db
def test_a_refused_transition_tells_the_list_nothing(
    operator: User, django_capture_on_commit_callbacks: Any
) -> None:
    incident = IncidentFactory.create(**CLOSED)
    listener = ListListener()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):  # noqa: B017
        transition_incident(incident=incident, to=IncidentStatus.ACTIVE, actor=operator)
    assert listener.messages() == []


@pytest.fixture
def application() -> Any:
    from config.asgi import application

    return application


async def connect_to_list(application: Any, user: User | None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, "/ws/incidents/", headers=headers)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_list_socket_relays_changes_to_viewers(application: Any, viewer: User) -> None:
    communicator = await connect_to_list(application, viewer)
    connected, _ = await communicator.connect()
    assert connected
    incident = await sync_to_async(IncidentFactory.create)()
    await sync_to_async(transition_incident)(incident=incident, to=IncidentStatus.ACTIVE)
    frame = await communicator.receive_json_from(timeout=2)
    assert frame["type"] == "changed"
    assert frame["incident"]["id"] == incident.pk and frame["incident"]["status"] == "active"
    await communicator.send_json_to({"type": "resync"})
    assert await communicator.receive_json_from() == {
        "type": "error",
        "code": "unknown_message_type",
    }
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_list_socket_refuses_anonymous_and_roleless_users(application: Any) -> None:
    nobody = await sync_to_async(UserFactory.create)()
    for user in (None, nobody):
        communicator = await connect_to_list(application, user)
        connected, _ = await communicator.connect()
        assert not connected
        await communicator.disconnect()
