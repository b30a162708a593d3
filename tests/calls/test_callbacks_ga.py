"""The GA API's CloudEvents callbacks parsed into the neutral events (calls.callbacks_ga)."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from calls.callback_events import (
    CallState,
    CallStateChanged,
    InviteResult,
    MediaOutcome,
    ParticipantsUpdated,
    PlayResult,
    PlayStarted,
    RecognizeResult,
    RemoveResult,
    RosterEntry,
    ToneReceived,
    UnknownEvent,
)
from calls.callbacks import CallbackParseError, dedupe_key, parse_callback, parse_envelope

pytestmark = pytest.mark.dialect("ga")

CALL = "411f0b00-aaaa-bbbb-cccc-000000000001"
TIME = "2024-05-01T10:00:00.0000000+00:00"
PARSED_TIME = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PHONE = {"kind": "phoneNumber", "rawId": "4:+15550100", "phoneNumber": {"value": "+15550100"}}
USER = {"kind": "communicationUser", "rawId": "8:acs:bob", "communicationUser": {"id": "8:acs:bob"}}

Json = Any


def cloud_event(name: str, event_id: str = "7b0c-1", **data: Json) -> Json:
    """A CloudEvent as GA delivers it (one element of the array)."""
    return {
        "id": event_id,
        "source": f"calling/callConnections/{CALL}",
        "type": f"Microsoft.Communication.{name}",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": TIME,
        "subject": f"calling/callConnections/{CALL}",
        "data": {
            "callConnectionId": CALL,
            "serverCallId": "aHR0cHM6",
            "correlationId": "corr-1",
            **data,
        },
    }


def named(key: str, value: Json) -> dict[str, Json]:
    """`data` fields whose name a test chooses (typed, so as not to be taken for `event_id`)."""
    return {key: value}


def parse_one(event: Json) -> Any:
    (parsed,) = parse_callback(json.dumps([event]).encode())
    assert parsed.event_id == event["id"]
    assert parsed.event_time == PARSED_TIME
    assert parsed.event_type == event["type"]
    assert parsed.raw == event
    return parsed


def ok(sub_code: int = 0, code: int = 200, message: str = "ok") -> Json:
    return {"code": code, "subCode": sub_code, "message": message}


def test_call_connected_is_the_call_established() -> None:
    event = parse_one(cloud_event("CallConnected", resultInformation=ok()))
    assert isinstance(event, CallStateChanged)
    assert (event.call_id, event.state, event.server_call_id) == (
        CALL,
        CallState.ESTABLISHED,
        "aHR0cHM6",
    )


@pytest.mark.parametrize(
    "name",
    ["CallDisconnected", "CreateCallFailed", "AnswerFailed", "AnswerCallFailed", "ConnectFailed"],
)
def test_a_call_that_ended_or_never_started_is_terminated(name: str) -> None:
    info = {"code": 500, "subCode": 8523, "message": "Call could not be established"}
    event = parse_one(cloud_event(name, resultInformation=info))
    assert isinstance(event, CallStateChanged)
    assert event.state == CallState.TERMINATED
    assert (event.code, event.subcode, event.message) == (
        500,
        8523,
        "Call could not be established",
    )


def test_participants_updated_carries_the_roster_and_its_sequence_number() -> None:
    roster = [
        {"identifier": PHONE, "isMuted": False, "isOnHold": True},
        {"identifier": USER, "isMuted": True},
    ]
    event = parse_one(cloud_event("ParticipantsUpdated", sequenceNumber=4, participants=roster))
    assert isinstance(event, ParticipantsUpdated)
    assert event.sequence_number == 4
    assert event.participants == (
        RosterEntry("+15550100", "4:+15550100", is_muted=False, is_on_hold=True),
        RosterEntry("8:acs:bob", "8:acs:bob", is_muted=True, is_on_hold=False),
    )


def test_an_identifier_without_a_raw_id_gets_one() -> None:
    roster = [{"identifier": {"phoneNumber": {"value": "+15550100"}}}]
    event = parse_one(cloud_event("ParticipantsUpdated", participants=roster))
    assert event.participants[0].participant_id == "4:+15550100"
    assert event.sequence_number is None


@pytest.mark.parametrize(
    ("wire", "tone"), [("one", "1"), ("pound", "#"), ("asterisk", "*"), ("a", "A")]
)
def test_a_continuous_dtmf_tone(wire: str, tone: str) -> None:
    event = parse_one(
        cloud_event(
            "ContinuousDtmfRecognitionToneReceived",
            tone=wire,
            sequenceId=3,
            operationContext="keys:7",
            resultInformation=ok(),
        )
    )
    assert isinstance(event, ToneReceived)
    assert (event.tone, event.sequence_id, event.operation_context) == (tone, 3, "keys:7")
    assert event.participant is None  # the swagger names nobody: the context says whose


@pytest.mark.parametrize("key", ["targetParticipant", "participant"])
def test_a_tone_names_who_pressed_it_when_the_event_says(key: str) -> None:
    event = parse_one(
        cloud_event(
            "ContinuousDtmfRecognitionToneReceived", tone="two", sequenceId=1, **named(key, PHONE)
        )
    )
    assert event.participant == "+15550100"


def test_a_tone_in_a_tone_info_object_is_read_too() -> None:
    info = {"tone": "nine", "sequenceId": 2}
    event = parse_one(
        cloud_event("ContinuousDtmfRecognitionToneReceived", **named("toneInfo", info))
    )
    assert (event.tone, event.sequence_id) == ("9", 2)


def test_play_started_is_not_a_result() -> None:
    event = parse_one(cloud_event("PlayStarted", operationContext="play:1"))
    assert isinstance(event, PlayStarted)
    assert not isinstance(event, PlayResult)
    assert event.operation_context == "play:1"


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("PlayCompleted", MediaOutcome.COMPLETED),
        ("PlayFailed", MediaOutcome.FAILED),
        ("PlayCanceled", MediaOutcome.CANCELLED),
    ],
)
def test_play_results(name: str, outcome: MediaOutcome) -> None:
    info = {"code": 400, "subCode": 8536, "message": "file download failed"}
    event = parse_one(cloud_event(name, operationContext="play:1", resultInformation=info))
    assert isinstance(event, PlayResult)
    assert (event.outcome, event.operation_context) == (outcome, "play:1")
    assert (event.code, event.subcode, event.message) == (400, 8536, "file download failed")


@pytest.mark.parametrize("key", ["subCode", "subcode", "SubCode"])
@pytest.mark.parametrize("info_key", ["resultInformation", "resultInfo"])
def test_result_information_spellings_are_tolerated(key: str, info_key: str) -> None:
    info = {"code": 200, key: 8531, "message": "max digits"}
    event = parse_one(cloud_event("PlayCompleted", **named(info_key, info)))
    assert (event.code, event.subcode) == (200, 8531)


@pytest.mark.parametrize("result_key", ["dtmfResult", "collectTonesResult"])
def test_recognize_completed_carries_the_tones(result_key: str) -> None:
    event = parse_one(
        cloud_event(
            "RecognizeCompleted",
            operationContext="menu",
            recognitionType="dtmf",
            resultInformation=ok(8531, message="max digits received"),
            **named(result_key, {"tones": ["one", "pound"]}),
        )
    )
    assert isinstance(event, RecognizeResult)
    assert (event.outcome, event.tones, event.subcode) == (MediaOutcome.COMPLETED, ("1", "#"), 8531)


@pytest.mark.parametrize(
    ("name", "outcome"),
    [("RecognizeFailed", MediaOutcome.FAILED), ("RecognizeCanceled", MediaOutcome.CANCELLED)],
)
def test_recognize_failed_and_canceled_have_no_tones(name: str, outcome: MediaOutcome) -> None:
    info = {"code": 400, "subCode": 8510, "message": "initial silence timeout"}
    event = parse_one(cloud_event(name, operationContext="menu", resultInformation=info))
    assert (event.outcome, event.tones, event.subcode) == (outcome, (), 8510)


@pytest.mark.parametrize(
    ("name", "succeeded"),
    [
        ("AddParticipantSucceeded", True),
        ("AddParticipantFailed", False),
        ("AddParticipantsSucceeded", True),
    ],
)
def test_add_participant_results_are_invite_results(name: str, succeeded: bool) -> None:
    info = {"code": 486, "subCode": 0, "message": "busy"}
    event = parse_one(
        cloud_event(name, operationContext="invite:1", participant=PHONE, resultInformation=info)
    )
    assert isinstance(event, InviteResult)
    assert (event.succeeded, event.participants, event.code) == (succeeded, ("+15550100",), 486)


@pytest.mark.parametrize(
    ("name", "succeeded"),
    [("RemoveParticipantSucceeded", True), ("RemoveParticipantFailed", False)],
)
def test_remove_participant_results(name: str, succeeded: bool) -> None:
    event = parse_one(cloud_event(name, operationContext="remove:1", participant=USER))
    assert isinstance(event, RemoveResult)
    assert (event.succeeded, event.participant, event.operation_context) == (
        succeeded,
        "8:acs:bob",
        "remove:1",
    )


@pytest.mark.parametrize(
    "name", ["RecordingStateChanged", "SendDtmfTonesCompleted", "ContinuousDtmfRecognitionStopped"]
)
def test_an_unknown_type_is_returned_not_refused(name: str) -> None:
    event = parse_one(cloud_event(name, whatever={"new": True}))
    assert isinstance(event, UnknownEvent)
    assert event.call_id == CALL


def test_an_unknown_type_without_data_is_still_returned() -> None:
    event = cloud_event("MediaStreamingStarted")
    del event["data"]
    parsed = parse_one(event)
    assert isinstance(parsed, UnknownEvent)
    assert parsed.call_id is None


def test_dispatch_ignores_source() -> None:
    event = cloud_event("CallConnected")
    event["source"] = f"calling/callConnections/{CALL}/CallDisconnected"
    event["subject"] = "something/else"
    assert parse_one(event).state == CallState.ESTABLISHED


def test_a_single_object_is_accepted_like_an_array_of_one() -> None:
    (event,) = parse_callback(json.dumps(cloud_event("CallConnected")).encode())
    assert isinstance(event, CallStateChanged)


def test_the_stored_envelope_parses_the_same_way() -> None:
    event = cloud_event("PlayCompleted", operationContext="p")
    assert parse_envelope(event) == parse_one(event)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda e: e.pop("id"), "missing"),
        (lambda e: e.pop("time"), "missing"),
        (lambda e: e.update(time="yesterday"), "bad_time"),
        (lambda e: e["data"].pop("callConnectionId"), "missing"),
        (lambda e: e.update(data="nope"), "wrong_type"),
    ],
)
def test_a_malformed_cloud_event_is_refused(change: Any, code: str) -> None:
    event = cloud_event("CallConnected")
    change(event)
    with pytest.raises(CallbackParseError) as caught:
        parse_callback(json.dumps([event]).encode())
    assert caught.value.code == code


def test_one_bad_event_refuses_the_whole_array() -> None:
    good = cloud_event("CallConnected")
    bad = cloud_event("ContinuousDtmfRecognitionToneReceived", tone="eleven", sequenceId=1)
    with pytest.raises(CallbackParseError, match="not a DTMF tone"):
        parse_callback(json.dumps([good, bad]).encode())


def test_a_cloud_event_is_deduped_on_its_id_and_a_2021_event_on_its_content() -> None:
    first = parse_one(cloud_event("CallConnected", event_id="e-1"))
    again = parse_one(cloud_event("CallConnected", event_id="e-1", extra="different body"))
    other = parse_one(cloud_event("CallConnected", event_id="e-2"))
    assert dedupe_key(first) == dedupe_key(again) != dedupe_key(other)

    preview = {
        "id": None,
        "eventType": "Microsoft.Communication.CallLegStateChanged",
        "eventTime": "2021-05-05T20:31:00Z",
        "data": {"CallLegId": CALL, "CallState": "Established"},
    }
    later = preview | {"eventTime": "2021-05-05T20:31:01Z"}
    assert dedupe_key(parse_envelope(preview)) != dedupe_key(parse_envelope(later))
