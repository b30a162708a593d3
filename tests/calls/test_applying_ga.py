"""GA events through the apply: keys are listened for per person once they join, a key names
who pressed it, the app's own leg is no participant, and sequence numbers order rosters."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from calls.client_ga import GaCallAutomationClient
from calls.models import Call, CallMode, CallState, Participant, ParticipantState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from calls.services import apply_pending_events
from calls.services.keys import keys_context, listen_again_for_keys
from incidents.models import TimelineKind
from tests.calls.test_callbacks_ga import CALL, PHONE, USER, Json, cloud_event
from tests.factories import CallEventFactory, CallFactory, ParticipantFactory

pytestmark = pytest.mark.dialect("ga")

APP = "8:acs:resource_app-leg"
APP_WIRE = {"kind": "communicationUser", "rawId": APP, "communicationUser": {"id": APP}}
ANN = {"kind": "phoneNumber", "rawId": "4:+15550177", "phoneNumber": {"value": "+15550177"}}


class GaProvider:
    """A GA provider at the transport: records requests, answers 200 (or `status`)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status >= 400:
            return httpx.Response(self.status, json={"error": {"code": "x", "message": "Nope."}})
        return httpx.Response(self.status)

    def dtmf_starts(self) -> list[Any]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.url.path.endswith(":startContinuousDtmfRecognition")
        ]


@pytest.fixture
def ga(settings: Any) -> Iterator[GaProvider]:
    settings.ACS_API_VERSION = "2026-03-12"
    fake = GaProvider()
    client = GaCallAutomationClient(
        "endpoint=https://acs.test/;accesskey=cHc=",
        api_version="2026-03-12",
        transport=httpx.MockTransport(fake),
        retry=NO_RETRY,
    )
    install_client(client)
    yield fake
    install_client(None)


def _call(mode: CallMode, *identifiers: str, source: str = APP) -> Call:
    call = CallFactory.create(
        provider_call_id=CALL, state=CallState.ESTABLISHED, mode=mode, provider_source_id=source
    )
    for identifier in identifiers:
        ParticipantFactory.create(call=call, identifier=identifier, state=ParticipantState.RINGING)
    return call


def _deliver(call: Call, *events: Json) -> None:
    for event in events:
        CallEventFactory.create(call=call, event_type=event["type"], payload=event)
    apply_pending_events()


def _roster(sequence: int, *people: dict[str, Any], event_id: str = "") -> Json:
    participants = [{"identifier": p, "isMuted": False} for p in people]
    return cloud_event(
        "ParticipantsUpdated",
        event_id or f"roster-{sequence}",
        sequenceNumber=sequence,
        participants=participants,
    )


def _tone(who: dict[str, Any], tone: str, sequence: int) -> Json:
    return cloud_event(
        "ContinuousDtmfRecognitionToneReceived",
        f"tone-{sequence}",
        tone=tone,
        sequenceId=sequence,
        participant=who,
        operationContext="keys:1",
        resultInformation={"code": 200, "subCode": 0, "message": "ok"},
    )


def test_a_person_joining_has_their_keys_listened_for_once_and_not_the_apps_leg(
    db: None, ga: GaProvider, django_capture_on_commit_callbacks: Any
) -> None:
    call = _call(CallMode.BRIDGE, "+15550100", "8:acs:bob")
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(call, _roster(1, APP_WIRE, PHONE, USER), _roster(2, APP_WIRE, PHONE, USER))
    people = {p.identifier: p for p in call.participants.all()}
    assert set(people) == {"+15550100", "8:acs:bob"}  # the app's own leg is not one
    assert {p.state for p in people.values()} == {ParticipantState.JOINED}
    starts = ga.dtmf_starts()
    assert sorted(s["targetParticipant"]["rawId"] for s in starts) == ["4:+15550100", "8:acs:bob"]
    assert {s["operationContext"] for s in starts} == {keys_context(p) for p in people.values()}
    assert all(p.keys_listened_at is not None for p in call.participants.all())


def test_a_refused_start_is_a_timeline_line(
    db: None, ga: GaProvider, django_capture_on_commit_callbacks: Any
) -> None:
    ga.status = 400
    call = _call(CallMode.BROADCAST, "+15550100")
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(call, _roster(1, APP_WIRE, PHONE))
    line = call.incident.timeline.get(kind=TimelineKind.ERROR)
    assert line.text.startswith("The provider did not listen for +15550100's keys: ")


def test_on_a_bridge_each_person_who_presses_1_is_acknowledged(db: None, ga: GaProvider) -> None:
    call = _call(CallMode.BRIDGE, "+15550100", "+15550177", "8:acs:bob")
    _deliver(call, _roster(1, APP_WIRE, PHONE, ANN, USER), _tone(PHONE, "one", 1))
    _deliver(call, _tone(ANN, "two", 2), _tone(ANN, "one", 3))
    people = {p.identifier: p for p in Participant.objects.filter(call=call)}
    assert {i: (p.keys_pressed, p.acknowledged) for i, p in people.items()} == {
        "+15550100": ("1", True),
        "+15550177": ("21", True),
        "8:acs:bob": ("", False),
    }
    texts = list(call.incident.timeline.values_list("text", flat=True))
    assert "+15550100 pressed 1 (acknowledged)." in texts
    assert "+15550177 pressed 1 (acknowledged)." in texts
    assert not any("does not say who" in text for text in texts)


def test_an_older_roster_by_sequence_number_changes_nothing(db: None, ga: GaProvider) -> None:
    call = _call(CallMode.BRIDGE, "+15550100", "+15550177")
    newer, older = _roster(2, APP_WIRE, PHONE, ANN), _roster(1, APP_WIRE, PHONE)
    newer["time"] = "2024-05-01T09:00:00+00:00"  # the clock says older: the sequence wins
    _deliver(call, newer, older)
    states = dict(call.participants.values_list("identifier", "state"))
    assert states == {"+15550100": ParticipantState.JOINED, "+15550177": ParticipantState.JOINED}
    call.refresh_from_db()
    assert call.roster_sequence == 2


def test_before_the_app_knows_its_own_leg_a_stranger_waits_for_the_next_roster(
    db: None, ga: GaProvider
) -> None:
    call = _call(CallMode.BRIDGE, "+15550100", source="")
    _deliver(call, _roster(1, APP_WIRE, PHONE))  # the create-call response has not landed
    assert list(call.participants.values_list("identifier", flat=True)) == ["+15550100"]
    Call.objects.filter(pk=call.pk).update(provider_source_id=APP)
    _deliver(call, _roster(2, APP_WIRE, PHONE, USER))  # a real stranger is added then
    assert set(call.participants.values_list("identifier", flat=True)) == {
        "+15550100",
        "8:acs:bob",
    }


def test_a_join_whose_request_was_lost_is_asked_again_by_the_sweep_once(
    db: None, ga: GaProvider
) -> None:
    call = _call(CallMode.BROADCAST, "+15550100")
    _deliver(call, _roster(1, APP_WIRE, PHONE))  # committed; its process died before asking
    assert ga.dtmf_starts() == []
    joined_at = call.participants.get().joined_at
    assert joined_at is not None
    assert listen_again_for_keys(now=joined_at + timedelta(seconds=5)) == 0  # not lost yet
    assert listen_again_for_keys(now=joined_at + timedelta(seconds=11)) == 1
    assert listen_again_for_keys(now=joined_at + timedelta(seconds=12)) == 0  # asked once
    assert [s["targetParticipant"]["rawId"] for s in ga.dtmf_starts()] == ["4:+15550100"]
    assert call.participants.get().keys_listened_at is not None
