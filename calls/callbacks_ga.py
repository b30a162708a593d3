"""Parse the GA API's callbacks (CloudEvents 1.0, usually a JSON array of one) into the
dialect-neutral events of calls.callback_events.

Reference: shared/reference/acs-call-automation.md, section 3.6. Dispatch is on `type` and
`data.callConnectionId`, never on `source` (whose shape differs by version). Keys are matched
case-insensitively, so GA's `subCode` and 2021's `subcode` read alike, and `resultInfo` (some
2022 examples) stands in for `resultInformation`; tones may come as `dtmfResult.tones` or
`collectTonesResult.tones`. An unknown type is returned as UnknownEvent, never refused.

Everything here raises only CallbackParseError.
"""

from collections.abc import Callable

from calls.callback_events import (
    AnyCallbackEvent,
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
from calls.callback_reading import (
    Common,
    JsonObject,
    fail,
    guess_string,
    identifier,
    parse_time,
    raw_id,
    tone,
)

_ResultInfo = tuple[int | None, int | None, str | None]


def is_cloud_event(envelope: JsonObject) -> bool:
    """Whether an envelope is a CloudEvent (GA) rather than an Event Grid event (2021)."""
    if envelope.get("specversion") is not None:
        return True
    return envelope.get("type") is not None and envelope.get("eventType") is None


def parse_cloud_event(envelope: JsonObject) -> AnyCallbackEvent:
    """One CloudEvent; raises CallbackParseError (an `id`, `type` and `time` are required)."""
    event_type = envelope.string("type")
    common = Common(
        event_id=envelope.string("id"),
        event_time=parse_time(envelope.string("time"), envelope.path("time")),
        event_type=event_type,
        raw=envelope.raw,
    )
    parser = _PARSERS.get(event_type.lower().removeprefix("microsoft.communication."))
    if parser is None:
        return UnknownEvent(
            call_id=guess_string(envelope.get("data"), "callConnectionId"), **common
        )
    return parser(envelope.child("data"), common)


def _call_id(data: JsonObject) -> str:
    return data.string("callConnectionId")


def _result_info(data: JsonObject) -> _ResultInfo:
    info = data.optional_child("resultInformation") or data.optional_child("resultInfo")
    if info is None:
        return None, None, None
    return (
        info.optional_integer("code"),
        info.optional_integer("subCode"),
        info.optional_string("message"),
    )


def _call_state(state: CallState) -> Callable[[JsonObject, Common], CallStateChanged]:
    def parse(data: JsonObject, common: Common) -> CallStateChanged:
        code, subcode, message = _result_info(data)
        return CallStateChanged(
            call_id=_call_id(data),
            state=state,
            server_call_id=data.optional_string("serverCallId"),
            code=code,
            subcode=subcode,
            message=message,
            **common,
        )

    return parse


def _parse_participants(data: JsonObject, common: Common) -> ParticipantsUpdated:
    entries = []
    for index, value in enumerate(data.array("participants", required=True)):
        entry = JsonObject(value, f"{data.path('participants')}[{index}]")
        who = entry.child("identifier")
        entries.append(
            RosterEntry(
                identifier=identifier(who),
                participant_id=raw_id(who),
                is_muted=entry.boolean("isMuted", default=False),
                is_on_hold=entry.boolean("isOnHold", default=False),
            )
        )
    return ParticipantsUpdated(
        call_id=_call_id(data),
        participants=tuple(entries),
        sequence_number=data.optional_integer("sequenceNumber"),
        **common,
    )


def _parse_tone(data: JsonObject, common: Common) -> ToneReceived:
    info = data.optional_child("toneInfo") or data  # `toneInfo` in some SDK builds' models
    who = data.optional_child("targetParticipant") or data.optional_child("participant")
    return ToneReceived(
        call_id=_call_id(data),
        tone=tone(info.string("tone"), info.path("tone")),
        sequence_id=info.integer("sequenceId"),
        participant=identifier(who) if who is not None else None,
        operation_context=data.optional_string("operationContext"),
        **common,
    )


def _parse_play_started(data: JsonObject, common: Common) -> PlayStarted:
    return PlayStarted(
        call_id=_call_id(data), operation_context=data.optional_string("operationContext"), **common
    )


def _play(outcome: MediaOutcome) -> Callable[[JsonObject, Common], PlayResult]:
    def parse(data: JsonObject, common: Common) -> PlayResult:
        code, subcode, message = _result_info(data)
        return PlayResult(
            call_id=_call_id(data),
            operation_context=data.optional_string("operationContext"),
            outcome=outcome,
            code=code,
            subcode=subcode,
            message=message,
            **common,
        )

    return parse


def _recognize(outcome: MediaOutcome) -> Callable[[JsonObject, Common], RecognizeResult]:
    def parse(data: JsonObject, common: Common) -> RecognizeResult:
        code, subcode, message = _result_info(data)
        result = data.optional_child("dtmfResult") or data.optional_child("collectTonesResult")
        tones = result.array("tones") if result is not None else []
        where = result.path("tones") if result is not None else ""
        return RecognizeResult(
            call_id=_call_id(data),
            operation_context=data.optional_string("operationContext"),
            outcome=outcome,
            tones=tuple(_tone_at(value, f"{where}[{i}]") for i, value in enumerate(tones)),
            code=code,
            subcode=subcode,
            message=message,
            **common,
        )

    return parse


def _tone_at(value: object, where: str) -> str:
    if not isinstance(value, str):
        fail("wrong_type", f"{where} must be a string.")
    return tone(value, where)


def _participant(data: JsonObject) -> str | None:
    who = data.optional_child("participant")
    return identifier(who) if who is not None else None


def _add(succeeded: bool) -> Callable[[JsonObject, Common], InviteResult]:
    def parse(data: JsonObject, common: Common) -> InviteResult:
        code, subcode, message = _result_info(data)
        who = _participant(data)
        return InviteResult(
            call_id=_call_id(data),
            operation_context=data.optional_string("operationContext"),
            succeeded=succeeded,
            participants=(who,) if who is not None else (),
            code=code,
            subcode=subcode,
            message=message,
            **common,
        )

    return parse


def _remove(succeeded: bool) -> Callable[[JsonObject, Common], RemoveResult]:
    def parse(data: JsonObject, common: Common) -> RemoveResult:
        code, subcode, message = _result_info(data)
        return RemoveResult(
            call_id=_call_id(data),
            operation_context=data.optional_string("operationContext"),
            succeeded=succeeded,
            participant=_participant(data),
            code=code,
            subcode=subcode,
            message=message,
            **common,
        )

    return parse


_ENDED = _call_state(CallState.TERMINATED)
# Keyed by the lower-cased type without "Microsoft.Communication.".
_PARSERS: dict[str, Callable[[JsonObject, Common], AnyCallbackEvent]] = {
    "callconnected": _call_state(CallState.ESTABLISHED),
    "calldisconnected": _ENDED,
    "createcallfailed": _ENDED,
    "answerfailed": _ENDED,
    "answercallfailed": _ENDED,  # the metrics documentation's name for AnswerFailed
    "connectfailed": _ENDED,
    "participantsupdated": _parse_participants,
    "continuousdtmfrecognitiontonereceived": _parse_tone,
    "playstarted": _parse_play_started,
    "playcompleted": _play(MediaOutcome.COMPLETED),
    "playfailed": _play(MediaOutcome.FAILED),
    "playcanceled": _play(MediaOutcome.CANCELLED),
    "recognizecompleted": _recognize(MediaOutcome.COMPLETED),
    "recognizefailed": _recognize(MediaOutcome.FAILED),
    "recognizecanceled": _recognize(MediaOutcome.CANCELLED),
    "addparticipantsucceeded": _add(True),
    "addparticipantfailed": _add(False),
    "addparticipantssucceeded": _add(True),  # the beta SDKs' plural spelling
    "addparticipantsfailed": _add(False),
    "removeparticipantsucceeded": _remove(True),
    "removeparticipantfailed": _remove(False),
}
