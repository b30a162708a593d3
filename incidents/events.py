"""What the live dashboard hears: group names and event payloads, in one place.

Every event carries the incident's sequence number. A dashboard that sees a gap (the channel
layer drops messages silently when a channel is full) asks the consumer for a fresh snapshot.
Payloads hold JSON primitives only: the Redis layer serialises with msgpack.
"""

from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from incidents.models import Incident

if TYPE_CHECKING:
    from calls.models import Call, Participant
    from incidents.models import TimelineEntry

# Handled by IncidentConsumer.incident_event.
INCIDENT_EVENT = "incident.event"


def incident_group(incident_id: int) -> str:
    return f"incident.{incident_id}"


def broadcast_incident_event(*, incident_id: int, kind: str, data: dict[str, Any]) -> None:
    """Queue `kind` for the incident's dashboards; it is sent only if the transaction commits.

    Must run inside the transaction that made the change, so the sequence number and the change
    commit together.
    """
    Incident.objects.filter(pk=incident_id).update(event_seq=F("event_seq") + 1)
    seq = Incident.objects.values_list("event_seq", flat=True).get(pk=incident_id)
    message = {"type": INCIDENT_EVENT, "kind": kind, "seq": seq, "data": data}
    transaction.on_commit(lambda: _send(incident_group(incident_id), message))


def _send(group: str, message: dict[str, Any]) -> None:
    channel_layer = get_channel_layer()
    if channel_layer is not None:
        async_to_sync(channel_layer.group_send)(group, message)


def timeline_payload(entry: "TimelineEntry") -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "text": entry.text,
        "actor": entry.actor.get_username() if entry.actor_id and entry.actor else None,
    }


def participant_payload(participant: "Participant") -> dict[str, Any]:
    return {
        "id": participant.pk,
        "call_id": participant.call_id,
        "name": participant.contact.name if participant.contact else "",
        "identifier": participant.identifier,
        "state": participant.state,
        "state_label": participant.get_state_display(),
        "joined_at": participant.joined_at.isoformat() if participant.joined_at else None,
        "left_at": participant.left_at.isoformat() if participant.left_at else None,
        "keys_pressed": participant.keys_pressed,
        "acknowledged": participant.acknowledged,
    }


def call_payload(call: "Call") -> dict[str, Any]:
    return {
        "id": call.pk,
        "mode": call.mode,
        "state": call.state,
        "state_label": call.get_state_display(),
        "media_state": call.media_state,
        "last_error": call.last_error,
    }


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "status": incident.status,
        "status_label": incident.get_status_display(),
    }
