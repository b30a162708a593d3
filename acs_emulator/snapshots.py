"""JSON views of emulated calls for the control API: participants, media and delivered events."""

from datetime import datetime

from acs_emulator.callbacks import event_type
from acs_emulator.events import result_info_json
from acs_emulator.fields import JsonObject
from acs_emulator.state import Call, Delivery, Participant, PlayOperation, PlaySource, SourceKind


def call_summary_json(call: Call) -> JsonObject:
    """The call itself without its participants, media and events: what a pacing check reads."""
    return {
        "callLegId": call.call_leg_id,
        "dialect": call.dialect.value,
        "state": call.state.value,
        "conversationId": call.conversation_id,
        "subject": call.subject,
        "callbackUri": call.callback_uri,
        "source": call.source.to_request_json(),
        "callerId": call.caller_id.value if call.caller_id else None,
        "targets": [p.identifier.value for p in call.targets()],
        "requestedModalities": list(call.modalities),
        "requestedCallEvents": sorted(e.value for e in call.requested_events),
        "createdAt": timestamp(call.created_at),
        "connectedAt": timestamp(call.connected_at),
        "endedAt": timestamp(call.ended_at),
    }


def call_json(call: Call) -> JsonObject:
    return {
        **call_summary_json(call),
        "participants": [participant_json(p) for p in call.participants.values()],
        "media": [play_json(play) for play in call.plays.values()],
        "events": [delivery_json(d) for d in call.deliveries],
    }


def timestamp(moment: datetime | None) -> str | None:
    # Always six fractional digits, so that the strings of one list also sort as times.
    return None if moment is None else moment.isoformat(timespec="microseconds")


def participant_json(participant: Participant) -> JsonObject:
    behaviour = participant.behaviour
    return {
        "participantId": participant.participant_id,
        "identifier": participant.identifier.to_request_json(),
        "rawId": participant.identifier.raw_id,
        "role": participant.role.value,
        "state": participant.state.value,
        "isMuted": participant.is_muted,
        "tonesPressed": participant.tones,
        "behaviour": behaviour.to_json() if behaviour else None,
    }


def play_json(play: PlayOperation) -> JsonObject:
    return {
        "id": play.id,
        "audioFileUri": play.audio_file_uri,
        "audioFileId": play.audio_file_id,
        "sources": [source_json(s) for s in play.sources],
        "isPrompt": play.is_prompt,
        "loop": play.loop,
        "operationContext": play.operation_context,
        "status": play.status.value,
        "durationMs": None if play.duration_s is None else round(play.duration_s * 1000),
        "resultInfo": result_info_json(play.result),
    }


def source_json(source: PlaySource) -> JsonObject:
    if source.kind is SourceKind.FILE:
        return {"kind": source.kind.value, "uri": source.uri}
    return {"kind": source.kind.value, "text": source.text, "locale": source.locale}


def delivery_json(delivery: Delivery) -> JsonObject:
    return {
        "eventType": event_type(delivery.envelope),
        "uri": delivery.uri,
        "subject": delivery.envelope.get("subject"),
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "copies": delivery.copies,
        "delayMs": delivery.delay_ms,
        "envelope": delivery.envelope,
    }
