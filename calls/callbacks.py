"""Parse the provider's callback bodies into the typed, dialect-neutral events of
calls.callback_events: a GA CloudEvent goes to calls.callbacks_ga, the rest is read here.

The 2021 preview's wire format: an Event Grid envelope (`id`, `eventType`, `eventTime`,
`data`, ...) or a JSON array of them, with PascalCase `data` in the product documentation and
camelCase in the swagger, so keys and enum values are matched case-insensitively
(reference: shared/reference/acs-call-automation.md, sections 1.2 and 1.3).

`parse_callback` raises only `CallbackParseError`. A body is accepted or rejected whole: an array
with one malformed envelope is rejected, so the sender's retry cannot half-apply it.
"""

import json
from collections.abc import Callable
from datetime import datetime

from calls import callbacks_ga
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
from calls.callback_limits import check_fits, check_storable, within_clock_skew
from calls.callback_reading import CallbackParseError as CallbackParseError  # the public name
from calls.callback_reading import (
    Common,
    JsonObject,
    fail,
    guess_string,
    identifier,
    load_json,
    parse_time,
    tone,
)


def parse_callback(body: bytes) -> tuple[AnyCallbackEvent, ...]:
    """Parse one callback body (an envelope or an array of them) and check that the database
    can store it (calls.callback_limits); raises CallbackParseError."""
    document = load_json(body)
    check_storable(document)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise CallbackParseError("empty", "The body is an empty array.")
    events = tuple(parse_envelope(item, f"event[{index}]") for index, item in enumerate(items))
    for event in events:
        check_fits(event)
    return events


def dedupe_key(event: AnyCallbackEvent) -> str:
    """What tells a redelivery from a new event: a CloudEvent's id, else the whole envelope."""
    if event.event_id and callbacks_ga.is_cloud_event(JsonObject(event.raw, "event")):
        return f"id:{event.event_id}"
    return json.dumps(event.raw, sort_keys=True, separators=(",", ":"), default=str)


def parse_stored(payload: object, *, arrived: datetime) -> AnyCallbackEvent:
    """A stored event, parsed again, its time kept within the clock skew allowed of when it
    arrived (calls.callback_limits); raises CallbackParseError."""
    return within_clock_skew(parse_envelope(payload), arrived=arrived)


def parse_envelope(item: object, where: str = "event") -> AnyCallbackEvent:
    """Parse one envelope already loaded from JSON (a stored event), of either dialect;
    raises CallbackParseError."""
    envelope = JsonObject(item, where)
    if callbacks_ga.is_cloud_event(envelope):
        return callbacks_ga.parse_cloud_event(envelope)
    event_type = envelope.string("eventType")
    common = Common(
        event_id=envelope.optional_string("id"),
        event_time=parse_time(envelope.string("eventTime"), envelope.path("eventTime")),
        event_type=event_type,
        raw=envelope.raw,
    )
    parser = _PARSERS.get(event_type.lower())
    if parser is None:
        return UnknownEvent(call_id=guess_string(envelope.get("data"), "callLegId"), **common)
    return parser(envelope.child("data"), common)


def _parse_call_state(data: JsonObject, common: Common) -> CallStateChanged:
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


def _parse_participants(data: JsonObject, common: Common) -> ParticipantsUpdated:
    entries = []
    for index, value in enumerate(data.array("participants", required=True)):
        entry = JsonObject(value, f"{data.path('participants')}[{index}]")
        entries.append(
            RosterEntry(
                identifier=identifier(entry.child("identifier")),
                participant_id=entry.string("participantId"),
                is_muted=entry.boolean("isMuted", default=False),
            )
        )
    return ParticipantsUpdated(
        call_id=data.string("callLegId"), participants=tuple(entries), **common
    )


def _parse_tone(data: JsonObject, common: Common) -> ToneReceived:
    info = data.child("toneInfo")
    return ToneReceived(
        call_id=data.string("callLegId"),
        tone=tone(info.string("tone"), info.path("tone")),
        sequence_id=info.integer("sequenceId"),
        **common,
    )


def _parse_play(data: JsonObject, common: Common) -> PlayResult:
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


def _parse_invite(data: JsonObject, common: Common) -> InviteResult:
    status = _status(data)
    code, subcode, message = _result_info(data)
    participants = tuple(
        identifier(JsonObject(value, f"{data.path('participants')}[{index}]"))
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


def _status(data: JsonObject) -> str:
    status = data.string("status").lower()
    if status not in ("completed", "failed"):
        fail("bad_value", f"{data.path('status')} must be Completed or Failed.")
    return status


def _result_info(data: JsonObject) -> tuple[int | None, int | None, str | None]:
    info = data.optional_child("resultInfo")  # null on a successful invite
    if info is None:
        return None, None, None
    code = info.optional_integer("code")
    subcode = info.optional_integer("subcode")
    return code, subcode, info.optional_string("message")


_PARSERS: dict[str, Callable[[JsonObject, Common], AnyCallbackEvent]] = {
    "microsoft.communication.calllegstatechanged": _parse_call_state,
    "microsoft.communication.participantsupdated": _parse_participants,
    "microsoft.communication.dtmfreceived": _parse_tone,
    "microsoft.communication.tonereceived": _parse_tone,  # the late-2021 name of the same event
    "microsoft.communication.playaudioresult": _parse_play,
    "microsoft.communication.inviteparticipantresult": _parse_invite,
    "microsoft.communication.inviteparticipantsresult": _parse_invite,  # the .NET class's spelling
}
