"""The 2021 preview's Event Grid envelope and body shape (calls.callbacks): metadata, times,
bare objects and arrays, unknown event types, and the parsed events' immutability."""

import json
from datetime import UTC, datetime

import pytest

from calls.callback_events import CallStateChanged, ToneReceived, UnknownEvent
from calls.callbacks import parse_callback
from tests.calls.preview_envelopes import (
    CALL,
    PARSED_TIME,
    Json,
    call_state,
    dtmf,
    envelope,
    invite_result,
    parse_one,
    participants_updated,
    rejected,
)

pytestmark = pytest.mark.dialect("preview")


def test_every_event_carries_the_envelope_metadata() -> None:
    document = invite_result()

    event = parse_one(document)

    assert event.event_id == "0e1c4b2a-58f3-4f6e-9a7d-2b9c3d4e5f60"
    assert event.event_time == PARSED_TIME
    assert event.event_type == "Microsoft.Communication.InviteParticipantResult"
    assert event.raw == document


def test_event_times_with_an_offset_are_normalised_to_utc() -> None:
    document = dtmf()
    document["eventTime"] = "2021-05-05T22:31:00+02:00"

    event = parse_one(document)

    assert event.event_time == datetime(2021, 5, 5, 20, 31, tzinfo=UTC)
    assert event.event_time.tzinfo is UTC


def test_a_bare_object_is_accepted_like_a_one_element_array() -> None:
    document = dtmf()

    (bare,) = parse_callback(json.dumps(document).encode())
    (wrapped,) = parse_callback(json.dumps([document]).encode())

    assert bare == wrapped
    assert bare.raw == document


def test_an_array_of_several_envelopes_parses_in_order() -> None:
    body = json.dumps([call_state("Establishing"), call_state("Established", "c"), dtmf()])

    events = parse_callback(body.encode())

    assert [type(event) for event in events] == [CallStateChanged, CallStateChanged, ToneReceived]


def test_one_malformed_envelope_rejects_the_whole_body() -> None:
    broken = dtmf()
    del broken["data"]["CallLegId"]

    error = rejected(json.dumps([call_state("Establishing"), broken]).encode())

    assert "event[1]" in error.message


def test_an_unknown_event_type_is_returned_not_rejected() -> None:
    document = envelope("CallRecordingStateChanged", "recording", {"CallLegId": CALL, "x": [1]})

    event = parse_one(document)

    assert isinstance(event, UnknownEvent)
    assert event.call_id == CALL
    assert event.event_type == "Microsoft.Communication.CallRecordingStateChanged"
    assert event.raw == document


@pytest.mark.parametrize("data", [None, "text", [1, 2], {"callLegId": 5}, {}])
def test_an_unknown_event_type_tolerates_any_data(data: Json) -> None:
    event = parse_one(envelope("SomethingNew", "new", data))

    assert isinstance(event, UnknownEvent)
    assert event.call_id is None


def test_event_type_matching_ignores_case() -> None:
    document = dtmf()
    document["eventType"] = "MICROSOFT.COMMUNICATION.DTMFRECEIVED"

    assert isinstance(parse_one(document), ToneReceived)


def test_parsed_events_are_immutable_and_hashable() -> None:
    event = parse_one(participants_updated())

    with pytest.raises(AttributeError):
        event.event_id = "changed"  # type: ignore[misc]
    assert hash(event) == hash(parse_one(participants_updated()))
