"""The 2021 preview's callbacks as its tests build them: Event Grid envelopes of each event
type, in the three spellings the preview's documents use, and parse_callback's answer to
one of them or its refusal of a body."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from calls.callback_events import CallbackEvent
from calls.callbacks import CallbackParseError, parse_callback

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
