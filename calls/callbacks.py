"""Parse the provider's callback bodies into the typed, dialect-neutral events of
calls.callback_events (a later dialect only adds a parser beside this one).

Today's wire format is the 2021 preview's: an Event Grid envelope (`id`, `eventType`, `eventTime`,
`data`, ...) or a JSON array of them, with PascalCase `data` in the product documentation and
camelCase in the swagger, so keys and enum values are matched case-insensitively
(reference: shared/reference/acs-call-automation.md, sections 1.2 and 1.3).

`parse_callback` raises only `CallbackParseError`. A body is accepted or rejected whole: an array
with one malformed envelope is rejected, so the sender's retry cannot half-apply it.
"""

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NoReturn, TypedDict

from calls.callback_events import (
    AnyCallbackEvent,
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

_INT32 = 2**31  # codes and sequence numbers end up in integer columns


class CallbackParseError(Exception):
    """The callback body is not one we understand; `code` is short and stable for logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class _Common(TypedDict):
    event_id: str | None
    event_time: datetime
    event_type: str
    raw: dict[str, Any]


def parse_callback(body: bytes) -> tuple[AnyCallbackEvent, ...]:
    """Parse one callback body (an envelope or an array of them); raises CallbackParseError."""
    document = _load_json(body)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise CallbackParseError("empty", "The body is an empty array.")
    return tuple(parse_envelope(item, f"event[{index}]") for index, item in enumerate(items))


def _load_json(body: bytes) -> object:
    try:
        # NaN and Infinity are not JSON, and the raw envelope is stored in a JSON column.
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, TypeError, RecursionError):
        raise CallbackParseError("not_json", "The body is not a JSON document.") from None


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(name)


class _Object:
    """A JSON object read with case-insensitive keys; errors name the path that failed."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            _fail("wrong_type", f"{where} must be an object.")
        self.raw: dict[str, Any] = value
        self.where = where
        self.items: dict[str, object] = {}
        for key, item in value.items():
            folded = key.lower()  # JSON object keys are always strings
            if folded in self.items:
                _fail("duplicate_key", f"{where} has {key[:40]!r} twice (ignoring case).")
            self.items[folded] = item

    def get(self, key: str) -> object:
        return self.items.get(key.lower())

    def required(self, key: str) -> object:
        value = self.get(key)
        if value is None:
            _fail("missing", f"{self.path(key)} is required.")
        return value

    def path(self, key: str) -> str:
        return f"{self.where}.{key}"

    def string(self, key: str) -> str:
        value = self.required(key)
        if not isinstance(value, str) or not value:
            _fail("wrong_type", f"{self.path(key)} must be a non-empty string.")
        return value

    def optional_string(self, key: str) -> str | None:
        value = self.get(key)
        if value is not None and not isinstance(value, str):
            _fail("wrong_type", f"{self.path(key)} must be a string or null.")
        return value

    def integer(self, key: str) -> int:
        value = self.optional_integer(key)
        if value is None:
            _fail("missing", f"{self.path(key)} is required.")
        return value

    def optional_integer(self, key: str) -> int | None:
        value = self.get(key)
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,10}", value):
            value = int(value)  # codes sometimes arrive as numeric strings ("8501")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not -_INT32 <= value < _INT32:
            _fail("wrong_type", f"{self.path(key)} must be a 32-bit integer.")
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            _fail("wrong_type", f"{self.path(key)} must be true or false.")
        return value

    def child(self, key: str) -> "_Object":
        return _Object(self.required(key), self.path(key))

    def optional_child(self, key: str) -> "_Object | None":
        value = self.get(key)
        return None if value is None else _Object(value, self.path(key))

    def array(self, key: str, *, required: bool = False) -> list[object]:
        value = self.required(key) if required else self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            _fail("wrong_type", f"{self.path(key)} must be an array.")
        return value


def _fail(code: str, message: str) -> NoReturn:
    raise CallbackParseError(code, message)


def parse_envelope(item: object, where: str = "event") -> AnyCallbackEvent:
    """Parse one envelope already loaded from JSON (a stored event); raises CallbackParseError."""
    envelope = _Object(item, where)
    event_type = envelope.string("eventType")
    common = _Common(
        event_id=envelope.optional_string("id"),
        event_time=_parse_time(envelope.string("eventTime"), envelope.path("eventTime")),
        event_type=event_type,
        raw=envelope.raw,
    )
    parser = _PARSERS.get(event_type.lower())
    if parser is None:
        return UnknownEvent(call_id=_guess_call_id(envelope.get("data")), **common)
    return parser(envelope.child("data"), common)


def _parse_time(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)  # 3.11 reads the 7 fractional digits Azure sends
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("naive")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        _fail("bad_time", f"{where} must be an ISO 8601 time with a UTC offset.")


def _guess_call_id(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        if str(key).lower() == "calllegid" and isinstance(value, str) and value:
            return value
    return None


def _parse_call_state(data: _Object, common: _Common) -> CallStateChanged:
    return CallStateChanged(
        call_id=data.string("callLegId"),
        state=_call_state(data.string("callState")),
        server_call_id=data.optional_string("conversationId"),
        **common,
    )


def _call_state(value: str) -> CallState:
    try:
        return CallState(value.lower())
    except ValueError:
        return CallState.UNKNOWN  # a new state must not make us drop the event


def _parse_participants(data: _Object, common: _Common) -> ParticipantsUpdated:
    entries = []
    for index, value in enumerate(data.array("participants", required=True)):
        entry = _Object(value, f"{data.path('participants')}[{index}]")
        entries.append(
            RosterEntry(
                identifier=_identifier(entry.child("identifier")),
                participant_id=entry.string("participantId"),
                is_muted=entry.boolean("isMuted", default=False),
            )
        )
    return ParticipantsUpdated(
        call_id=data.string("callLegId"), participants=tuple(entries), **common
    )


def _identifier(value: _Object) -> str:
    """The app's raw form of a wire identifier: "+E164" for phones, the raw id otherwise."""
    phone = value.optional_child("phoneNumber")
    if phone is not None:
        return phone.string("value")
    user = value.optional_child("communicationUser")
    if user is not None:
        return user.string("id")
    raw_id = value.optional_string("rawId")
    if raw_id:
        return raw_id.removeprefix("4:") if raw_id.startswith("4:+") else raw_id
    _fail("bad_identifier", f"{value.where} has no phoneNumber, communicationUser or rawId.")


_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Spellings by era: "Tone1" (preview docs), "tone1" (swagger), "one" (later APIs), "1".
_TONES = (
    {f"tone{digit}": str(digit) for digit in range(10)}
    | {name: str(digit) for digit, name in enumerate(_DIGIT_NAMES)}
    | {str(digit): str(digit) for digit in range(10)}
    | {"star": "*", "asterisk": "*", "*": "*", "pound": "#", "#": "#", "flash": "flash"}
    | {letter: letter.upper() for letter in "abcd"}
)


def _parse_tone(data: _Object, common: _Common) -> ToneReceived:
    info = data.child("toneInfo")
    tone = _TONES.get(info.string("tone").lower())
    if tone is None:
        _fail("bad_value", f"{info.path('tone')} is not a DTMF tone.")
    return ToneReceived(
        call_id=data.string("callLegId"),
        tone=tone,
        sequence_id=info.integer("sequenceId"),
        **common,
    )


def _parse_play(data: _Object, common: _Common) -> PlayResult:
    status = _status(data)
    code, subcode, message = _result_info(data)
    if (code, subcode) == (400, 8508):
        # The preview reports a cancelled play as 400/8508 with Status "Completed".
        outcome = MediaOutcome.CANCELLED
    elif status == "failed" or (code is not None and code >= 400):
        outcome = MediaOutcome.FAILED
    else:
        outcome = MediaOutcome.COMPLETED
    return PlayResult(
        call_id=data.string("callLegId"),
        operation_context=data.optional_string("operationContext"),
        outcome=outcome,
        code=code,
        subcode=subcode,
        message=message,
        **common,
    )


def _parse_invite(data: _Object, common: _Common) -> InviteResult:
    status = _status(data)
    code, subcode, message = _result_info(data)
    participants = tuple(
        _identifier(_Object(value, f"{data.path('participants')}[{index}]"))
        for index, value in enumerate(data.array("participants"))
    )
    return InviteResult(
        call_id=data.string("callLegId"),
        operation_context=data.optional_string("operationContext"),
        succeeded=status == "completed",
        participants=participants,
        code=code,
        subcode=subcode,
        message=message,
        **common,
    )


def _status(data: _Object) -> str:
    status = data.string("status").lower()
    if status not in ("completed", "failed"):
        _fail("bad_value", f"{data.path('status')} must be Completed or Failed.")
    return status


def _result_info(data: _Object) -> tuple[int | None, int | None, str | None]:
    info = data.optional_child("resultInfo")  # null on a successful invite
    if info is None:
        return None, None, None
    code = info.optional_integer("code")
    subcode = info.optional_integer("subcode")
    return code, subcode, info.optional_string("message")


_PARSERS: dict[str, Callable[[_Object, _Common], AnyCallbackEvent]] = {
    "microsoft.communication.calllegstatechanged": _parse_call_state,
    "microsoft.communication.participantsupdated": _parse_participants,
    "microsoft.communication.dtmfreceived": _parse_tone,
    "microsoft.communication.tonereceived": _parse_tone,  # the late-2021 name of the same event
    "microsoft.communication.playaudioresult": _parse_play,
    "microsoft.communication.inviteparticipantresult": _parse_invite,
    "microsoft.communication.inviteparticipantsresult": _parse_invite,  # the .NET class's spelling
}
