import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calls.callback_events import (
    CallbackEvent,
    CallState,
    CallStateChanged,
    InviteResult,
    MediaOutcome,
    ParticipantsUpdated,
    PlayResult,
    RosterEntry,
    ToneReceived,
    UnknownEvent,
)
from calls.callbacks import CallbackParseError, parse_callback

pytestmark = pytest.mark.dialect("preview")

CALL = "411f0b00-0b5b-4a3b-8a42-6e2f4f7b9d10"
TIME = "2021-05-05T20:31:00.1234567Z"
PARSED_TIME = datetime(2021, 5, 5, 20, 31, 0, 123456, tzinfo=UTC)

Json = Any


def envelope(event_type: str, kind: str, data: Json, event_id: str | None = None) -> Json:
    """An Event Grid envelope as the 2021 preview documentation shows it (PascalCase data)."""
    return {
        "id": event_id,
        "topic": None,
        "subject": f"callLeg/{CALL}/{kind}",
        "data": data,
        "eventType": f"Microsoft.Communication.{event_type}",
        "eventTime": TIME,
        "metadataVersion": None,
        "dataVersion": None,
    }


def phone(number: str) -> Json:
    return {
        "RawId": f"4:{number}",
        "CommunicationUser": None,
        "PhoneNumber": {"Value": number},
        "MicrosoftTeamsUser": None,
    }


def acs_user(user_id: str) -> Json:
    return {
        "RawId": user_id,
        "CommunicationUser": {"Id": user_id},
        "PhoneNumber": None,
        "MicrosoftTeamsUser": None,
    }


def call_state(state: str, conversation_id: str | None = None) -> Json:
    data = {"ConversationId": conversation_id, "CallLegId": CALL, "CallState": state}
    return envelope("CallLegStateChanged", "callState", data)


def participants_updated() -> Json:
    roster = [
        {"Identifier": acs_user("8:acs:app"), "ParticipantId": "p-app", "IsMuted": False},
        {"Identifier": phone("+15550100"), "ParticipantId": "p-alice", "IsMuted": True},
    ]
    data = {"CallLegId": CALL, "Participants": roster}
    return envelope("ParticipantsUpdated", "participantsUpdated", data)


def dtmf(tone: str = "Tone1", sequence_id: Json = 1) -> Json:
    data = {"ToneInfo": {"SequenceId": sequence_id, "Tone": tone}, "CallLegId": CALL}
    return envelope("DtmfReceived", "dtmf", data)


def play_result(status: str = "Completed", code: int = 200, subcode: int = 0) -> Json:
    data = {
        "ResultInfo": {"Code": code, "Subcode": subcode, "Message": "Action completed."},
        "OperationContext": "play-1",
        "Status": status,
        "CallLegId": CALL,
    }
    return envelope("PlayAudioResult", "playAudio", data)


def invite_result(status: str = "Completed", result_info: Json = None) -> Json:
    data = {
        "ResultInfo": result_info,
        "OperationContext": "invite-1",
        "Status": status,
        "CallLegId": CALL,
        "Participants": [phone("+15550101")],
    }
    return envelope(
        "InviteParticipantResult",
        "inviteParticipantResult",
        data,
        event_id="0e1c4b2a-58f3-4f6e-9a7d-2b9c3d4e5f60",
    )


VALID_ENVELOPES = [
    call_state("Establishing"),
    call_state("Established", "aHR0cHM6Ly9jb252"),
    call_state("Terminated"),
    participants_updated(),
    dtmf(),
    play_result(),
    play_result("Completed", 400, 8508),
    play_result("Failed", 500, 8535),
    invite_result(),
    invite_result("Failed", {"Code": 408, "Subcode": 0, "Message": "No answer"}),
]


# Spellings: as documented (PascalCase data), camelCase as in the swagger, and shouted.
def pascal(document: Json) -> Json:
    return document


def camel(document: Json) -> Json:
    return _rewrite(document, lambda key: key[:1].lower() + key[1:], str.lower)


def shouted(document: Json) -> Json:
    return _rewrite(document, str.upper, str.upper)


ENUM_KEYS = {"callstate", "tone", "status"}


def _rewrite(document: Json, key: Callable[[str], str], enum: Callable[[str], str]) -> Json:
    if isinstance(document, list):
        return [_rewrite(item, key, enum) for item in document]
    if not isinstance(document, dict):
        return document
    return {
        key(name): enum(value)
        if name.lower() in ENUM_KEYS and isinstance(value, str)
        else _rewrite(value, key, enum)
        for name, value in document.items()
    }


SPELLINGS = pytest.mark.parametrize("spell", [pascal, camel, shouted])


def parse_one(document: Json) -> CallbackEvent:
    events = parse_callback(json.dumps([document]).encode())
    assert len(events) == 1
    return events[0]


def rejected(body: bytes) -> CallbackParseError:
    with pytest.raises(CallbackParseError) as caught:
        parse_callback(body)
    return caught.value


# --- Each event type ---------------------------------------------------------------------


@SPELLINGS
@pytest.mark.parametrize(
    ("state", "conversation_id", "expected"),
    [
        ("Establishing", None, CallState.ESTABLISHING),
        ("Established", "aHR0cHM6Ly9jb252", CallState.ESTABLISHED),
        ("Terminating", "aHR0cHM6Ly9jb252", CallState.TERMINATING),
        ("Terminated", "aHR0cHM6Ly9jb252", CallState.TERMINATED),
        ("Hold", None, CallState.HOLD),
        ("Transferring", None, CallState.TRANSFERRING),
    ],
)
def test_call_state_changes_parse(
    spell: Callable[[Json], Json], state: str, conversation_id: str | None, expected: CallState
) -> None:
    event = parse_one(spell(call_state(state, conversation_id)))

    assert isinstance(event, CallStateChanged)
    assert (event.call_id, event.state, event.server_call_id) == (CALL, expected, conversation_id)


def test_a_call_state_we_do_not_know_is_unknown_not_an_error() -> None:
    event = parse_one(call_state("Connected"))

    assert isinstance(event, CallStateChanged)
    assert event.state is CallState.UNKNOWN


@SPELLINGS
def test_participants_updated_parses_the_full_roster(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(participants_updated()))

    assert isinstance(event, ParticipantsUpdated)
    assert event.call_id == CALL
    assert event.participants == (
        RosterEntry(identifier="8:acs:app", participant_id="p-app", is_muted=False),
        RosterEntry(identifier="+15550100", participant_id="p-alice", is_muted=True),
    )


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ({"RawId": "4:+15550100"}, "+15550100"),
        ({"RawId": "8:acs:bob", "CommunicationUser": None}, "8:acs:bob"),
        ({"RawId": "8:orgid:1234"}, "8:orgid:1234"),
        ({"CommunicationUser": {"Id": "8:acs:bob"}}, "8:acs:bob"),
        ({"PhoneNumber": {"Value": "+15550100"}, "RawId": None}, "+15550100"),
    ],
)
def test_roster_identifiers_become_the_apps_raw_strings(identifier: Json, expected: str) -> None:
    document = participants_updated()
    document["data"]["Participants"][0]["Identifier"] = identifier

    event = parse_one(document)

    assert isinstance(event, ParticipantsUpdated)
    assert event.participants[0].identifier == expected


def test_a_roster_entry_without_is_muted_counts_as_unmuted() -> None:
    document = participants_updated()
    del document["data"]["Participants"][1]["IsMuted"]

    event = parse_one(document)

    assert isinstance(event, ParticipantsUpdated)
    assert event.participants[1].is_muted is False


@SPELLINGS
def test_dtmf_received_parses_tone_and_sequence(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(dtmf("Tone1", 3)))

    assert isinstance(event, ToneReceived)
    assert (event.call_id, event.tone, event.sequence_id) == (CALL, "1", 3)


@pytest.mark.parametrize(
    ("wire", "tone"),
    [
        ("Tone0", "0"),
        ("tone9", "9"),
        ("one", "1"),
        ("7", "7"),
        ("Star", "*"),
        ("asterisk", "*"),
        ("Pound", "#"),
        ("#", "#"),
        ("A", "A"),
        ("d", "D"),
        ("Flash", "flash"),
    ],
)
def test_tone_spellings_of_every_era_are_understood(wire: str, tone: str) -> None:
    event = parse_one(dtmf(wire))

    assert isinstance(event, ToneReceived)
    assert event.tone == tone


def test_the_late_2021_tone_received_type_is_the_same_event() -> None:
    document = dtmf()
    document["eventType"] = "Microsoft.Communication.ToneReceived"

    assert isinstance(parse_one(document), ToneReceived)


@SPELLINGS
def test_completed_play_parses(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(play_result("Completed", 200, 0)))

    assert isinstance(event, PlayResult)
    assert event.call_id == CALL
    assert event.operation_context == "play-1"
    assert event.outcome is MediaOutcome.COMPLETED
    assert (event.code, event.subcode, event.message) == (200, 0, "Action completed.")


@SPELLINGS
def test_a_cancelled_play_reported_as_completed_400_8508_parses_as_cancelled(
    spell: Callable[[Json], Json],
) -> None:
    event = parse_one(spell(play_result("Completed", 400, 8508)))

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.CANCELLED
    assert (event.code, event.subcode) == (400, 8508)


@SPELLINGS
def test_failed_play_parses(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(play_result("Failed", 500, 8535)))

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.FAILED


def test_a_completed_status_with_an_error_code_is_a_failed_play() -> None:
    event = parse_one(play_result("Completed", 400, 8523))

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.FAILED


def test_play_result_codes_may_be_numeric_strings_or_absent() -> None:
    document = play_result()
    document["data"]["ResultInfo"] = {"Code": "400", "Subcode": "8508"}

    event = parse_one(document)

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.CANCELLED
    assert event.message is None


@SPELLINGS
def test_successful_invite_parses(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(invite_result()))

    assert isinstance(event, InviteResult)
    assert event.call_id == CALL
    assert event.operation_context == "invite-1"
    assert event.succeeded is True
    assert event.participants == ("+15550101",)
    assert (event.code, event.subcode, event.message) == (None, None, None)
    assert event.event_id == "0e1c4b2a-58f3-4f6e-9a7d-2b9c3d4e5f60"


@SPELLINGS
def test_failed_invite_parses(spell: Callable[[Json], Json]) -> None:
    document = invite_result("Failed", {"Code": 408, "Subcode": 0, "Message": "No answer"})

    event = parse_one(spell(document))

    assert isinstance(event, InviteResult)
    assert event.succeeded is False
    assert (event.code, event.subcode, event.message) == (408, 0, "No answer")


# --- Envelope and body shape -------------------------------------------------------------


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


# --- Rejections --------------------------------------------------------------------------


def _with(document: Json, path: tuple[str | int, ...], value: Json) -> bytes:
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(changed).encode()


_DELETE = object()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "not_json"),
        (b"not json", "not_json"),
        (b"\xff\xfe\x00", "not_json"),
        (b'{"eventType": NaN}', "not_json"),
        (b'[{"a": Infinity}]', "not_json"),
        (b"[" * 100_000, "not_json"),
        (b"[" * 50_000 + b"]" * 50_000, "not_json"),
        (b"1" * 5_000, "not_json"),
        (b"[]", "empty"),
        (b"42", "wrong_type"),
        (b'"event"', "wrong_type"),
        (b"null", "wrong_type"),
        (b"[1]", "wrong_type"),
        (b"[[]]", "wrong_type"),
        (_with(dtmf(), ("eventType",), _DELETE), "missing"),
        (_with(dtmf(), ("eventType",), 5), "wrong_type"),
        (_with(dtmf(), ("eventType",), ""), "wrong_type"),
        (_with(dtmf(), ("id",), 7), "wrong_type"),
        (_with(dtmf(), ("eventTime",), _DELETE), "missing"),
        (_with(dtmf(), ("eventTime",), "yesterday"), "bad_time"),
        (_with(dtmf(), ("eventTime",), "2021-05-05T20:31:00"), "bad_time"),
        (_with(dtmf(), ("eventTime",), "2021-02-30T20:31:00Z"), "bad_time"),
        (_with(dtmf(), ("eventTime",), "0001-01-01T00:00:00+01:00"), "bad_time"),
        (_with(dtmf(), ("data",), _DELETE), "missing"),
        (_with(dtmf(), ("data",), [1]), "wrong_type"),
        (_with(dtmf(), ("data", "CallLegId"), _DELETE), "missing"),
        (_with(dtmf(), ("data", "CallLegId"), 12), "wrong_type"),
        (_with(dtmf(), ("data", "CallLegId"), ""), "wrong_type"),
        (_with(dtmf(), ("data", "ToneInfo", "Tone"), "Tone99"), "bad_value"),
        (_with(dtmf(), ("data", "ToneInfo", "SequenceId"), "x"), "wrong_type"),
        (_with(dtmf(), ("data", "ToneInfo", "SequenceId"), True), "wrong_type"),
        (_with(dtmf(), ("data", "ToneInfo", "SequenceId"), 1.5), "wrong_type"),
        (_with(dtmf(), ("data", "ToneInfo", "SequenceId"), 2**40), "wrong_type"),
        (_with(dtmf(), ("data", "ToneInfo", "SequenceId"), _DELETE), "missing"),
        (_with(dtmf(), ("data", "callLegId"), CALL), "duplicate_key"),
        (_with(call_state("Established"), ("data", "CallState"), 3), "wrong_type"),
        (_with(call_state("Established"), ("data", "ConversationId"), {}), "wrong_type"),
        (_with(play_result(), ("data", "Status"), "Running"), "bad_value"),
        (_with(play_result(), ("data", "ResultInfo"), "oops"), "wrong_type"),
        (_with(play_result(), ("data", "ResultInfo", "Code"), "4OO"), "wrong_type"),
        (_with(invite_result(), ("data", "Participants"), {}), "wrong_type"),
        (_with(invite_result(), ("data", "Participants", 0), {"RawId": ""}), "bad_identifier"),
        (_with(participants_updated(), ("data", "Participants"), _DELETE), "missing"),
        (
            _with(participants_updated(), ("data", "Participants", 0, "ParticipantId"), 1),
            "wrong_type",
        ),
        (_with(participants_updated(), ("data", "Participants", 0, "IsMuted"), "no"), "wrong_type"),
        (
            _with(participants_updated(), ("data", "Participants", 0, "Identifier"), {}),
            "bad_identifier",
        ),
        (
            _with(
                participants_updated(), ("data", "Participants", 0, "Identifier", "PhoneNumber"), {}
            ),
            "missing",
        ),
        (_with(dtmf(), ("data", "CallLegId"), None), "missing"),
    ],
)
def test_malformed_bodies_are_rejected_with_a_code(body: bytes, code: str) -> None:
    error = rejected(body)

    assert error.code == code
    assert error.message
    assert str(error).startswith(f"{code}: ")


# --- Fuzzing: nothing but CallbackParseError, ever -----------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def parse_or_reject(body: bytes) -> None:
    try:
        events = parse_callback(body)
    except CallbackParseError as error:
        assert error.code
        return
    assert events
    for event in events:
        assert isinstance(event, CallbackEvent)
        assert event.event_time.tzinfo is UTC
        if not isinstance(event, UnknownEvent):
            assert isinstance(event.call_id, str) and event.call_id


@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(body: bytes) -> None:
    parse_or_reject(body)


@given(json_values)
def test_fuzz_arbitrary_json_values(value: Json) -> None:
    parse_or_reject(json.dumps(value).encode())


def _paths(document: Json, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> Json:
    spell = draw(st.sampled_from([pascal, camel, shouted]))
    document = spell(copy.deepcopy(draw(st.sampled_from(VALID_ENVELOPES))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "recase"]))
        if action == "replace" or isinstance(parent, list):
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        else:
            recase = draw(st.sampled_from([str.upper, str.lower, str.title]))
            parent[recase(path[-1])] = parent.pop(path[-1])
    return draw(st.sampled_from([document, [document], [document, document]]))


@settings(max_examples=300)
@given(mutated_envelopes())
def test_fuzz_mutated_valid_envelopes(document: Json) -> None:
    parse_or_reject(json.dumps(document).encode())


@given(st.sampled_from(VALID_ENVELOPES), st.sampled_from([pascal, camel, shouted]))
def test_every_valid_envelope_parses_in_every_spelling(
    document: Json, spell: Callable[[Json], Json]
) -> None:
    (event,) = parse_callback(json.dumps(spell(document)).encode())

    assert not isinstance(event, UnknownEvent)
