"""What the live dashboard hears: group names and event payloads, in one place.

Every event carries the incident's sequence number. A dashboard that sees a gap (the channel
layer drops messages silently when a channel is full) asks the consumer for a fresh snapshot.
Payloads hold JSON primitives only: the Redis layer serialises with msgpack.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.utils import timezone

from calls import controls
from calls.models import CallMode
from config.request_ids import Cause, current_causes
from incidents.metrics import CALLBACK_TO_BROADCAST
from incidents.models import Incident

if TYPE_CHECKING:
    from calls.models import Call, Participant
    from incidents.models import TimelineEntry

# Handled by IncidentConsumer.incident_events: one message carries one or more events.
INCIDENT_EVENTS = "incident.events"

# An event's data, or the function that gives it when the event is numbered.
Data = dict[str, Any] | Callable[[], dict[str, Any]]
Pending = list[tuple[int, str, Data]]
# Per incident, the requests (or provider callbacks) its events come from, in order.
Causes = dict[int, dict[Cause, None]]
logger = logging.getLogger(__name__)


class _Outbox:
    """The events of a batched_broadcasts() block, in order; one per key for keyed events."""

    def __init__(self) -> None:
        self.pending: Pending = []
        self.causes: Causes = {}
        self._places: dict[str, int] = {}

    def add(self, incident_id: int, kind: str, data: Data, key: str | None) -> None:
        self.causes.setdefault(incident_id, {}).update(dict.fromkeys(current_causes()))
        place = self._places.get(key) if key is not None else None
        if place is not None:
            self.pending[place] = (incident_id, kind, data)
            return
        if key is not None:
            self._places[key] = len(self.pending)
        self.pending.append((incident_id, kind, data))


_outbox: ContextVar[_Outbox | None] = ContextVar("incident_outbox", default=None)


def incident_group(incident_id: int) -> str:
    return f"incident.{incident_id}"


def broadcast_incident_event(
    *, incident_id: int, kind: str, data: Data, key: str | None = None
) -> None:
    """Queue `kind` for the incident's dashboards; it is sent only if the transaction commits.

    Must run inside the transaction that made the change, so the sequence number and the change
    commit together. Inside `batched_broadcasts()` the event waits for the end of the block,
    and events of one `key` (a state that every change of a block restates, such as a
    call-out's counts) are sent once: the last one queued, in the place of the first. `data`
    may be a function: it is called when the event is numbered (at once outside a block, as
    the block ends inside one), so a keyed event's data is computed once per block.
    """
    outbox = _outbox.get()
    if outbox is None:
        _queue([(incident_id, kind, data)], {incident_id: dict.fromkeys(current_causes())})
    else:
        outbox.add(incident_id, kind, data, key)


@contextmanager
def batched_broadcasts() -> Iterator[None]:
    """Send the events of this block as one message per incident, numbered in one update.

    For hot paths (a callback often changes a participant and the timeline at once): one
    sequence update and one channel-layer send instead of one per event.
    """
    if _outbox.get() is not None:
        yield  # The outer block sends.
        return
    outbox = _Outbox()
    token = _outbox.set(outbox)
    try:
        yield
    finally:
        _outbox.reset(token)
    _queue(outbox.pending, outbox.causes)


def broadcast_call(call: "Call") -> None:
    """Announce the call's new state, media state or error (see broadcast_incident_event)."""
    broadcast_incident_event(incident_id=call.incident_id, kind="call", data=call_payload(call))


def broadcast_participant(participant: "Participant") -> None:
    """Announce a participant's new state (see broadcast_incident_event)."""
    broadcast_incident_event(
        incident_id=participant.call.incident_id,
        kind="participant",
        data=participant_payload(participant),
    )


def _queue(pending: Pending, causes: Causes) -> None:
    by_incident: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for incident_id, kind, data in pending:
        by_incident.setdefault(incident_id, []).append((kind, data() if callable(data) else data))
    for incident_id, events in by_incident.items():
        last = _take_sequence_numbers(incident_id, len(events))
        first = last - len(events) + 1
        message = {
            "type": INCIDENT_EVENTS,
            "events": [
                {"kind": kind, "seq": first + i, "data": data}
                for i, (kind, data) in enumerate(events)
            ],
        }
        caused_by = tuple(causes.get(incident_id, ()))
        transaction.on_commit(
            partial(_send, incident_group(incident_id), message, caused_by, timed=True)
        )


def _take_sequence_numbers(incident_id: int, count: int) -> int:
    """Reserve `count` numbers for the incident and return the last (one row lock until commit)."""
    table = Incident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET event_seq = event_seq + %s WHERE id = %s RETURNING event_seq",  # noqa: S608 (table name from the model)
            [count, incident_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise Incident.DoesNotExist(f"No incident {incident_id}.")
    return int(row[0])


def _send(
    group: str, message: dict[str, Any], causes: tuple[Cause, ...], *, timed: bool = False
) -> None:
    """Send `message` to `group`; then log it once per request it comes from and, if `timed`
    (the incident page's events), time each provider callback's ingest-to-broadcast."""
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    async_to_sync(channel_layer.group_send)(group, message)
    sent_at = timezone.now()
    events = len(message.get("events", ())) or 1
    for cause in causes:
        extra: dict[str, Any] = {"request_id": cause.request_id, "group": group, "events": events}
        if cause.ingested_at is not None:
            seconds = max((sent_at - cause.ingested_at).total_seconds(), 0.0)
            extra["since_ingest_ms"] = round(seconds * 1000, 1)
            if timed:
                CALLBACK_TO_BROADCAST.observe(seconds)
        logger.info("Broadcast %d events to %s", events, group, extra=extra)


def timeline_payload(entry: "TimelineEntry") -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "text": entry.text,
        "actor": entry.actor.get_username() if entry.actor_id and entry.actor else None,
    }


def participant_payload(participant: "Participant") -> dict[str, Any]:
    """A person on a call; give it with its call and contact loaded."""
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
        "uninvited": participant.uninvited,
        "tally": controls.tally(participant),
        "can_remove": controls.can_remove(participant),
        # Whether this person's attempt is over; their call says whether its people can be
        # rung again now (a call's state changes without announcing each of its people).
        "can_ring_again": participant.state in controls.OVER,
    }


def call_payload(call: "Call") -> dict[str, Any]:
    connected = controls.is_connected(call)
    return {
        "id": call.pk,
        "mode": call.mode,
        "mode_label": call.get_mode_display(),
        "state": call.state,
        "state_label": call.get_state_display(),
        "media_state": call.media_state,
        "media_label": call.get_media_state_display(),
        "last_error": call.last_error,
        # The 2021 preview's tone event names no participant: on a bridge call a key press
        # is credited only while one person is on it (see calls.services.ingest).
        "names_who_pressed": call.mode == CallMode.BROADCAST,
        "can_retry": controls.can_retry(call),
        "can_hang_up": controls.can_hang_up(call),
        "can_ring_again": controls.can_redial(call),
        "can_ring_people_again": controls.can_ring_people_again(call),
        "can_play": connected,
        "can_invite": connected,
        "can_stop_audio": controls.can_stop_audio(call),
    }


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "status": incident.status,
        "status_label": incident.get_status_display(),
        "is_open": incident.is_open,
    }


# --- The incident list ---------------------------------------------------------------------
# The list page hears one small event whenever an incident is declared or changes status. It
# carries no sequence number, unlike the incident page's events: every event, and every
# (re)connect, makes the list page fetch its current page of rows again, so a missed event is
# made good by the next one or by the reconnect, and filters, search and pagination stay the
# server's business.

# Handled by IncidentListConsumer.incident_list_changed.
INCIDENT_LIST_CHANGED = "incident_list.changed"
INCIDENT_LIST_GROUP = "incidents.list"


def broadcast_incident_listed(incident: Incident) -> None:
    """Tell the list pages that `incident` was declared or changed, once the transaction commits."""
    message = {"type": INCIDENT_LIST_CHANGED, "incident": incident_list_payload(incident)}
    transaction.on_commit(partial(_send, INCIDENT_LIST_GROUP, message, current_causes()))


def incident_list_payload(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "status_label": incident.get_status_display(),
    }
