"""The incident WebSocket, driven through the real ASGI application."""

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import Recipient, RecipientStatus
from calls.models import CallState, ParticipantState
from calls.services import ingest_callback
from incidents.models import IncidentStatus
from incidents.services import transition_incident
from tests.factories import CallFactory, IncidentFactory, ParticipantFactory, UserFactory
from tests.incidents.test_callout_page import callout_incident
from tests.provider_callbacks import callback, signed

# serialized_rollback keeps the role groups the data migration made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def application() -> Any:
    # Imported here: AllowedHostsOriginValidator reads ALLOWED_HOSTS at import time.
    from config.asgi import application

    return application


async def connect(
    application: Any,
    incident_id: int,
    user: User | None,
    origin: str = "http://testserver",
    query: str = "",
) -> WebsocketCommunicator:
    headers = [(b"origin", origin.encode())]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        headers.append((b"cookie", cookie.encode()))
    path = f"/ws/incidents/{incident_id}/{query}"
    return WebsocketCommunicator(application, path, headers=headers)


async def test_anonymous_connection_is_refused(application: Any) -> None:
    incident = await sync_to_async(IncidentFactory.create)()
    communicator = await connect(application, incident.pk, None)
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_foreign_origin_is_refused(application: Any, viewer: User) -> None:
    incident = await sync_to_async(IncidentFactory.create)()
    communicator = await connect(application, incident.pk, viewer, origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_user_without_the_view_permission_is_refused(application: Any) -> None:
    nobody = await sync_to_async(UserFactory.create)()
    incident = await sync_to_async(IncidentFactory.create)()
    communicator = await connect(application, incident.pk, nobody)
    connected, _ = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_viewer_gets_a_snapshot_then_live_events_and_can_resync(
    application: Any, viewer: User
) -> None:
    incident = await sync_to_async(IncidentFactory.create)()
    communicator = await connect(application, incident.pk, viewer)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from()
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == 0
    assert snapshot["incident"]["status"] == "declared"

    await sync_to_async(transition_incident)(incident=incident, to=IncidentStatus.ACTIVE)
    events: list[dict[str, Any]] = []
    while len(events) < 2:  # one message may carry several events
        message = await communicator.receive_json_from()
        assert message["type"] == "events"
        events += message["events"]
    first, second = events
    assert (first["kind"], first["seq"]) == ("incident", 1)
    assert first["data"]["status"] == "active"
    assert (second["kind"], second["seq"]) == ("timeline", 2)

    await communicator.send_json_to({"type": "resync"})
    resync = await communicator.receive_json_from()
    assert resync["type"] == "snapshot" and resync["seq"] == 2
    assert [e["text"] for e in resync["timeline"]] == [second["data"]["text"]]

    await communicator.send_json_to({"type": "hangup-everyone"})
    assert await communicator.receive_json_from() == {
        "type": "error",
        "code": "unknown_message_type",
    }
    await communicator.disconnect()


async def test_a_dashboard_that_reconnects_sees_what_happened_while_it_was_away(
    application: Any, viewer: User
) -> None:
    call = await sync_to_async(CallFactory.create)(state=CallState.ESTABLISHED)
    await sync_to_async(ParticipantFactory.create)(
        call=call, identifier="+14255550101", state=ParticipantState.RINGING
    )
    first = await connect(application, call.incident_id, viewer)
    assert (await first.connect())[0]
    before = await first.receive_json_from()
    await first.disconnect()  # the network drops

    joined = callback("ParticipantsUpdated", call=call, people=["+14255550101"])
    await sync_to_async(ingest_callback)(
        call_id=call.pk,
        secret=call.callback_secret,
        body=json.dumps([joined]).encode(),
        authorization=signed().get("Authorization"),
    )

    again = await connect(application, call.incident_id, viewer)
    assert (await again.connect())[0]
    after = await again.receive_json_from()
    assert after["type"] == "snapshot" and after["seq"] > before["seq"]
    (person,) = after["participants"]
    assert (person["identifier"], person["state"]) == ("+14255550101", "joined")
    await again.disconnect()


async def test_a_call_outs_snapshot_has_its_counts_and_the_page_of_rows_the_page_shows(
    application: Any, viewer: User
) -> None:
    incident = await sync_to_async(callout_incident)(120)
    await sync_to_async(
        lambda: Recipient.objects.filter(position__gt=100).update(status=RecipientStatus.FAILED)
    )()
    communicator = await connect(application, incident.pk, viewer, query="?status=failed&page=2")
    assert (await communicator.connect())[0]
    snapshot = await communicator.receive_json_from()
    assert snapshot["callout"]["counts"]["failed"] == 20
    assert snapshot["callout"]["total"] == 120
    # 20 failed fit on one page: page 2 is past the end, so the last page is sent.
    recipients = snapshot["recipients"]
    assert (recipients["status"], recipients["asked"], recipients["page"]) == ("failed", 2, 1)
    assert [r["position"] for r in recipients["rows"]] == list(range(101, 121))

    # A resync sends the same page, with what changed since.
    await sync_to_async(
        lambda: Recipient.objects.filter(position=101).update(status=RecipientStatus.PENDING)
    )()
    await communicator.send_json_to({"type": "resync"})
    again = await communicator.receive_json_from()
    assert again["callout"]["counts"]["failed"] == 19
    assert [r["position"] for r in again["recipients"]["rows"]] == list(range(102, 121))
    await communicator.disconnect()


async def test_a_bad_page_in_the_sockets_address_gives_the_first_page(
    application: Any, viewer: User
) -> None:
    incident = await sync_to_async(callout_incident)(60)
    communicator = await connect(application, incident.pk, viewer, query="?page=x&status=%00")
    assert (await communicator.connect())[0]
    recipients = (await communicator.receive_json_from())["recipients"]
    assert (recipients["status"], recipients["page"], len(recipients["rows"])) == ("", 1, 50)
    await communicator.disconnect()


async def test_call_out_events_reach_the_dashboard(application: Any, viewer: User) -> None:
    incident = await sync_to_async(callout_incident)(2)
    communicator = await connect(application, incident.pk, viewer)
    assert (await communicator.connect())[0]
    await communicator.receive_json_from()

    def one_acknowledges() -> None:
        with transaction.atomic():
            person = Recipient.objects.get(callout__incident=incident, position=1)
            person.status = RecipientStatus.ACKNOWLEDGED
            person.save(update_fields=["status"])
            broadcast_recipient(person)
            broadcast_callout(person.callout)

    await sync_to_async(one_acknowledges)()
    events = [
        event
        for _ in range(2)  # one message each (outside batched_broadcasts)
        for event in (await communicator.receive_json_from())["events"]
    ]
    assert [(e["kind"], e["data"].get("status")) for e in events] == [
        ("recipient", "acknowledged"),
        ("callout", None),
    ]
    assert events[1]["data"]["counts"]["acknowledged"] == 1
    await communicator.disconnect()
