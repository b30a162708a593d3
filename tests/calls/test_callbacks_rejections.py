"""The 2021 preview's malformed callback bodies (calls.callbacks), each rejected whole with
the code that says what is wrong."""

import copy
import json

import pytest

from tests.calls.preview_envelopes import (
    CALL,
    Json,
    call_state,
    dtmf,
    invite_result,
    participants_updated,
    play_result,
    rejected,
)

pytestmark = pytest.mark.dialect("preview")


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
        (b"[" * 100_000, "too_deep"),
        (b"[" * 50_000 + b"]" * 50_000, "too_deep"),
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
