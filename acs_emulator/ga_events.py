"""Callback events of the GA API: CloudEvents 1.0 with camelCase `data` (reference 3.6).

Every event's data carries `callConnectionId`, `serverCallId`, `correlationId`,
`operationContext` (of the request that caused it) and `resultInformation {code, subCode,
message}`. Deliveries are JSON arrays of one event, each with a fresh JWT (see `callbacks`).
"""

from datetime import UTC, datetime
from typing import Protocol

from acs_emulator.callbacks import CallbackDispatcher
from acs_emulator.fields import JsonObject
from acs_emulator.state import (
    NO_OPERATION,
    Call,
    CallState,
    Operation,
    Participant,
    ResultInfo,
    new_id,
)

EVENT_PREFIX = "Microsoft.Communication."
OK = ResultInfo(200, 0, "Action completed successfully.")
CONNECTED = ResultInfo(200, 0, "The call was connected.")
HUNG_UP = ResultInfo(200, 0, "The call was disconnected.")


def result_json(result: ResultInfo | None) -> JsonObject | None:
    if result is None:
        return None
    return {"code": result.code, "subCode": result.subcode, "message": result.message}


def refusal_json(failure: ResultInfo) -> JsonObject:
    """`data` naming a phone's refusal: its resultInformation also gives the SIP response
    (sipDetails, reference 3.6)."""
    sip = {"code": failure.code, "message": failure.message}
    return {"resultInformation": {**(result_json(failure) or {}), "sipDetails": sip}}


def cloud_event(
    call: Call,
    name: str,
    extra: JsonObject | None = None,
    operation: Operation = NO_OPERATION,
    result: ResultInfo | None = OK,
) -> JsonObject:
    source = f"calling/callConnections/{call.call_leg_id}"
    data: JsonObject = {
        "callConnectionId": call.call_leg_id,
        "serverCallId": call.conversation_id,
        "correlationId": call.correlation_id,
        "operationContext": operation.context,
        "resultInformation": result_json(result),
        **(extra or {}),
    }
    return {
        "id": new_id(),
        "source": source,
        "type": EVENT_PREFIX + name,
        "data": data,
        "time": datetime.now(UTC).isoformat(),
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "subject": source,
    }


def participant_json(participant: Participant) -> JsonObject:
    """A GA CallParticipant."""
    return {
        "identifier": participant.identifier.to_ga_json(),
        "isMuted": participant.is_muted,
        "isOnHold": False,
    }


class ToneSink(Protocol):
    """Where a GA call's key presses go (the GA media: recognize and continuous DTMF)."""

    def tone(self, call: Call, participant: Participant, tone: str) -> None: ...
    def stop(self, call: Call) -> None: ...


class GaReporter:
    """The switchboard's moves as GA callbacks (a `reports.Reporter`)."""

    def __init__(self, dispatcher: CallbackDispatcher, tones: ToneSink) -> None:
        self._dispatcher = dispatcher
        self._tones = tones

    def _call_event(self, call: Call, name: str, result: ResultInfo | None) -> None:
        operation = Operation(call.operation_context)
        self._dispatcher.send(call, cloud_event(call, name, None, operation, result))

    def dialling(self, call: Call) -> None:
        """GA says nothing while the targets ring."""

    def connected(self, call: Call) -> None:
        self._call_event(call, "CallConnected", CONNECTED)

    def roster_changed(self, call: Call) -> None:
        call.roster_sequence += 1
        extra: JsonObject = {
            "sequenceNumber": call.roster_sequence,
            "participants": [participant_json(p) for p in call.roster()],
        }
        self._dispatcher.send(call, cloud_event(call, "ParticipantsUpdated", extra))

    def invite_result(self, call: Call, invitee: Participant, failure: ResultInfo | None) -> None:
        name = "AddParticipantSucceeded" if failure is None else "AddParticipantFailed"
        extra: JsonObject = {"participant": invitee.identifier.to_ga_json()}
        if failure is not None:
            extra |= refusal_json(failure)
        event = cloud_event(call, name, extra, invitee.operation, failure or OK)
        self._dispatcher.send(call, event, invitee.operation.callback_uri)

    def removed(self, call: Call, participant: Participant) -> None:
        operation = participant.removal or NO_OPERATION
        extra: JsonObject = {"participant": participant.identifier.to_ga_json()}
        event = cloud_event(call, "RemoveParticipantSucceeded", extra, operation)
        self._dispatcher.send(call, event, operation.callback_uri)
        call.continuous_dtmf.pop(participant.participant_id, None)

    def tone(self, call: Call, participant: Participant, tone: str) -> None:
        self._tones.tone(call, participant, tone)

    def terminating(self, call: Call, failure: ResultInfo | None) -> None:
        self._tones.stop(call)
        if failure is not None:
            operation = Operation(call.operation_context)
            extra = refusal_json(failure)
            event = cloud_event(call, "CreateCallFailed", extra, operation, failure)
            self._dispatcher.send(call, event)

    def terminated(self, call: Call) -> None:
        self._call_event(call, "CallDisconnected", HUNG_UP)


CONNECTION_STATES = {
    CallState.ESTABLISHING: "connecting",
    CallState.ESTABLISHED: "connected",
    CallState.TERMINATING: "disconnecting",
    CallState.TERMINATED: "disconnected",
}


def connection_json(call: Call) -> JsonObject:
    """A GA CallConnectionProperties (reference 3.3)."""
    body: JsonObject = {
        "callConnectionId": call.call_leg_id,
        "serverCallId": call.conversation_id,
        "targets": [p.identifier.to_ga_json() for p in call.targets()],
        "callConnectionState": CONNECTION_STATES[call.state],
        "callbackUri": call.callback_uri,
        "source": call.source.to_ga_json(),
        "correlationId": call.correlation_id,
    }
    if call.caller_id is not None:
        body["sourceCallerIdNumber"] = {"value": call.caller_id.value}
    if call.source_display_name is not None:
        body["sourceDisplayName"] = call.source_display_name
    return body
