"""Callback events of the 2021 preview: Event Grid envelopes with PascalCase `data` (ref. 1.2–1.3).

Envelope fields follow the published examples: `topic`, `metadataVersion` and `dataVersion` are
null, and `id` is null except on InviteParticipantResult, which carries a GUID.
"""

from datetime import UTC, datetime

from acs_emulator.callbacks import CallbackDispatcher
from acs_emulator.fields import JsonObject
from acs_emulator.identifiers import Identifier
from acs_emulator.state import (
    Call,
    EventRequest,
    Participant,
    PlayOperation,
    ResultInfo,
    new_id,
)

EVENT_PREFIX = "Microsoft.Communication."
CALL_LEG_STATE_CHANGED = EVENT_PREFIX + "CallLegStateChanged"
PARTICIPANTS_UPDATED = EVENT_PREFIX + "ParticipantsUpdated"
DTMF_RECEIVED = EVENT_PREFIX + "DtmfReceived"
PLAY_AUDIO_RESULT = EVENT_PREFIX + "PlayAudioResult"
INVITE_PARTICIPANT_RESULT = EVENT_PREFIX + "InviteParticipantResult"

# ToneValue of the preview SDK, in the PascalCase the published callbacks use.
TONE_NAMES = {str(d): f"Tone{d}" for d in range(10)} | {
    "*": "Star",
    "#": "Pound",
    "A": "A",
    "B": "B",
    "C": "C",
    "D": "D",
}


def event_time(now: datetime | None = None) -> str:
    """ISO 8601 UTC with seven fractional digits and a Z, as in the documentation's examples."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def envelope(
    call: Call, kind: str, event_type: str, data: JsonObject, event_id: str | None = None
) -> JsonObject:
    return {
        "id": event_id,
        "topic": None,
        "subject": f"callLeg/{call.call_leg_id}/{kind}",
        "data": data,
        "eventType": event_type,
        "eventTime": event_time(),
        "metadataVersion": None,
        "dataVersion": None,
    }


def call_leg_state_changed(call: Call) -> JsonObject:
    data: JsonObject = {
        "ConversationId": call.conversation_id,
        "CallLegId": call.call_leg_id,
        "CallState": call.state.value,
    }
    return envelope(call, "callState", CALL_LEG_STATE_CHANGED, data)


def participants_updated(call: Call) -> JsonObject:
    data: JsonObject = {
        "CallLegId": call.call_leg_id,
        "Participants": [_participant(p) for p in call.roster()],
    }
    return envelope(call, "participantsUpdated", PARTICIPANTS_UPDATED, data)


def _participant(participant: Participant) -> JsonObject:
    return {
        "Identifier": participant.identifier.to_event_json(),
        "ParticipantId": participant.participant_id,
        "IsMuted": participant.is_muted,
    }


def dtmf_received(call: Call, sequence_id: int, tone: str) -> JsonObject:
    data: JsonObject = {
        "ToneInfo": {"SequenceId": sequence_id, "Tone": TONE_NAMES[tone]},
        "CallLegId": call.call_leg_id,
    }
    return envelope(call, "dtmf", DTMF_RECEIVED, data)


def play_audio_result(call: Call, play: PlayOperation, status: str) -> JsonObject:
    data: JsonObject = {
        "ResultInfo": result_info_json(play.result),
        "OperationContext": play.operation_context,
        "Status": status,
        "CallLegId": call.call_leg_id,
    }
    return envelope(call, "playAudio", PLAY_AUDIO_RESULT, data)


def invite_participant_result(
    call: Call, invitee: Identifier, context: str | None, result: ResultInfo | None
) -> JsonObject:
    data: JsonObject = {
        "ResultInfo": result_info_json(result),
        "OperationContext": context,
        "Status": "Completed" if result is None else "Failed",
        "CallLegId": call.call_leg_id,
        "Participants": [invitee.to_event_json()],
    }
    return envelope(call, "inviteParticipantResult", INVITE_PARTICIPANT_RESULT, data, new_id())


def result_info_json(result: ResultInfo | None) -> JsonObject | None:
    if result is None:
        return None
    return {"Code": result.code, "Subcode": result.subcode, "Message": result.message}


class PreviewReporter:
    """The switchboard's moves as 2021 callbacks (a `reports.Reporter`)."""

    def __init__(self, dispatcher: CallbackDispatcher) -> None:
        self._dispatcher = dispatcher

    def _state(self, call: Call) -> None:
        self._dispatcher.send(call, call_leg_state_changed(call))

    def dialling(self, call: Call) -> None:
        self._state(call)

    def connected(self, call: Call) -> None:
        self._state(call)

    def roster_changed(self, call: Call) -> None:
        if call.wants(EventRequest.PARTICIPANTS_UPDATED):
            self._dispatcher.send(call, participants_updated(call))

    def invite_result(self, call: Call, invitee: Participant, failure: ResultInfo | None) -> None:
        context = invitee.operation.context
        self._dispatcher.send(
            call, invite_participant_result(call, invitee.identifier, context, failure)
        )

    def removed(self, call: Call, participant: Participant) -> None:
        """The 2021 API reports a removal only through ParticipantsUpdated."""

    def tone(self, call: Call, participant: Participant, tone: str) -> None:
        if call.wants(EventRequest.DTMF_RECEIVED):
            call.tone_sequence += 1
            self._dispatcher.send(call, dtmf_received(call, call.tone_sequence, tone))

    def terminating(self, call: Call, failure: ResultInfo | None) -> None:
        # The 2021 events carry no reason for a call nobody answered.
        self._state(call)

    def terminated(self, call: Call) -> None:
        self._state(call)
