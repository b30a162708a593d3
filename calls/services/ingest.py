"""Provider callbacks: verify, store each event once, then apply it, in one transaction.

The provider delivers at least once and in any order, so every rule here only moves state
forward: a call never goes back from terminated, an older roster snapshot never overwrites a
newer one, and a redelivered event (same digest) is stored once and applied once.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calls import callbacks as cb
from calls.models import (
    CALL_STATE_RANK,
    Call,
    CallEvent,
    CallMode,
    CallState,
    MediaState,
    Participant,
    ParticipantState,
)
from calls.services.actions import play_prompt
from calls.services.ringing import start_ringing
from calls.services.write_queue import serialized_writes
from config.errors import DomainError
from incidents.events import (
    batched_broadcasts,
    broadcast_call,
    broadcast_participant,
)
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry

_PROVIDER_STATES = {
    cb.CallState.ESTABLISHING: CallState.ESTABLISHING,
    cb.CallState.ESTABLISHED: CallState.ESTABLISHED,
    cb.CallState.TERMINATING: CallState.TERMINATING,
    cb.CallState.TERMINATED: CallState.TERMINATED,
}
ACKNOWLEDGE_TONE = "1"


class EventForAnotherCall(DomainError):
    code = "wrong_call"


def event_digest(call: Call, event: cb.AnyCallbackEvent) -> str:
    canonical = json.dumps(event.raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{call.pk}:{canonical}".encode()).hexdigest()


# Set by calls.background in a server process: wakes its applier instead of applying here.
_wake_background_applier: Callable[[], None] | None = None


def use_background_applier(wake: Callable[[], None] | None) -> None:
    global _wake_background_applier
    _wake_background_applier = wake


def ingest_callback(*, call: Call, events: tuple[cb.AnyCallbackEvent, ...]) -> None:
    """Store the provider's events for `call` and have them applied.

    In a server process the background applier applies them after the provider has its answer;
    elsewhere (management commands, tests) they are applied before this returns.
    Raises EventForAnotherCall (nothing is stored) when an event names a different call leg.
    """
    record_callback(call=call, events=events)
    if _wake_background_applier is not None:
        _wake_background_applier()
    else:
        apply_pending_events(call_ids=[call.pk])


def record_callback(*, call: Call, events: tuple[cb.AnyCallbackEvent, ...]) -> None:
    """Store each event once (by digest) for later application; a redelivery stores nothing.

    The provider gets its answer as soon as this commits; applying happens after, in arrival
    order (apply_pending_events), so a slow or failing apply never loses an accepted event.
    Raises EventForAnotherCall (nothing is stored) when an event names a different call leg.
    """
    for event in events:
        leg = getattr(event, "call_id", None)
        if leg and call.provider_call_id and leg != call.provider_call_id:
            raise EventForAnotherCall(f"The event is for call leg {leg}, not this call.")
    # One INSERT, atomic on its own; the digest's unique index turns a redelivery into a no-op.
    with serialized_writes():
        CallEvent.objects.bulk_create(
            [
                CallEvent(
                    call=call, event_type=e.event_type, payload=e.raw, digest=event_digest(call, e)
                )
                for e in events
            ],
            ignore_conflicts=True,
        )


def has_pending_events() -> bool:
    """Whether any stored event waits to be applied (a cheap look at a partial index)."""
    return CallEvent.objects.filter(applied_at__isnull=True).exists()


def apply_pending_events(*, call_ids: list[int] | None = None, batch: int = 500) -> int:
    """Apply stored events not applied yet, per call in arrival order; return how many."""
    pending = CallEvent.objects.filter(applied_at__isnull=True)
    if call_ids is not None:
        pending = pending.filter(call_id__in=call_ids)
    applied = 0
    for call_id in list(pending.values_list("call_id", flat=True).distinct()):
        while True:
            with serialized_writes():
                count = _apply_call_events(call_id, batch)
            if not count:
                break
            applied += count
    return applied


@transaction.atomic
@batched_broadcasts()
def _apply_call_events(call_id: int, batch: int) -> int:
    # One writer per call at a time: its events are applied in the order they arrived.
    call = (
        Call.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident")
        .get(pk=call_id)
    )
    stored = list(call.events.filter(applied_at__isnull=True).order_by("id")[:batch])
    for row in stored:
        for event in cb.parse_callback(json.dumps(row.payload).encode()):
            _APPLY.get(type(event), _ignore)(call, event)
    CallEvent.objects.filter(pk__in=[row.pk for row in stored]).update(applied_at=timezone.now())
    return len(stored)


def _ignore(call: Call, event: Any) -> None:
    """Stored for the record; nothing to change (e.g. an event type we do not know yet)."""


def _apply_call_state(call: Call, event: cb.CallStateChanged) -> None:
    state = _PROVIDER_STATES.get(event.state)
    if not call.provider_call_id:
        # The event beat the create-call response: adopt the id it names.
        call.provider_call_id = event.call_id
    if state is None or CALL_STATE_RANK[state] <= CALL_STATE_RANK[call.state]:
        call.save(update_fields=["provider_call_id", "updated_at"])
        return
    call.state = state
    if state == CallState.TERMINATED:
        call.ended_at = event.event_time
        call.media_state = MediaState.IDLE
    call.save(update_fields=["provider_call_id", "state", "ended_at", "media_state", "updated_at"])
    broadcast_call(call)
    add_timeline_entry(
        incident=call.incident, kind=TimelineKind.CALL, text=f"Call {state.label.lower()}."
    )
    if state == CallState.ESTABLISHING:
        start_ringing(call.participants.all())
    elif state == CallState.ESTABLISHED and call.prompt_id:
        _play_welcome_prompt_after_commit(call)
    elif state == CallState.TERMINATED:
        _move_participants(call, ParticipantState.JOINED, ParticipantState.LEFT, event.event_time)
        for waiting in (ParticipantState.INVITED, ParticipantState.RINGING):
            _move_participants(call, waiting, ParticipantState.FAILED, None)


def _move_participants(
    call: Call, old: ParticipantState, new: ParticipantState, left_at: datetime | None
) -> None:
    for participant in call.participants.select_related("contact").filter(state=old):
        participant.state = new
        if left_at is not None:
            participant.left_at = max(left_at, participant.joined_at or left_at)
        participant.save(update_fields=["state", "left_at", "updated_at"])
        _announce(participant)


def _announce(participant: Participant, text: str = "") -> None:
    broadcast_participant(participant)
    if text:
        add_timeline_entry(
            incident=participant.call.incident, kind=TimelineKind.PARTICIPANT, text=text
        )


def _apply_roster(call: Call, event: cb.ParticipantsUpdated) -> None:
    if call.roster_at is not None and event.event_time < call.roster_at:
        return  # An older snapshot arriving late: the newer one already told the truth.
    call.roster_at = event.event_time
    call.save(update_fields=["roster_at", "updated_at"])
    present = {
        entry.identifier: entry
        for entry in event.participants
        if entry.identifier != settings.ACS_SOURCE_ID
    }
    participants = {p.identifier: p for p in call.participants.select_related("contact")}
    for identifier, entry in present.items():
        participant = participants.get(identifier) or Participant.objects.create(
            call=call, identifier=identifier
        )
        _join(participant, entry, event.event_time)
    for identifier, participant in participants.items():
        if identifier not in present and participant.state == ParticipantState.JOINED:
            participant.state = ParticipantState.LEFT
            participant.left_at = max(event.event_time, participant.joined_at or event.event_time)
            participant.save(update_fields=["state", "left_at", "updated_at"])
            _announce(participant, f"{participant} left the call.")


def _join(participant: Participant, entry: cb.RosterEntry, at: datetime) -> None:
    if participant.state == ParticipantState.REMOVED:
        return  # Removed on purpose: only a new invitation brings them back.
    changed = participant.provider_participant_id != entry.participant_id
    participant.provider_participant_id = entry.participant_id
    if participant.state != ParticipantState.JOINED:
        participant.state = ParticipantState.JOINED
        participant.joined_at, participant.left_at = at, None
        changed = True
    if changed:
        participant.save(
            update_fields=["provider_participant_id", "state", "joined_at", "left_at", "updated_at"]
        )
        _announce(participant, f"{participant} joined the call.")


def _apply_tone(call: Call, event: cb.ToneReceived) -> None:
    participant = _who_pressed(call)
    if participant is None:
        add_timeline_entry(
            incident=call.incident,
            kind=TimelineKind.KEYPRESS,
            text=f"Someone on the call pressed {event.tone}.",
        )
        return
    participant.keys_pressed = (participant.keys_pressed + event.tone)[-200:]
    acknowledged = event.tone == ACKNOWLEDGE_TONE and not participant.acknowledged
    participant.acknowledged = participant.acknowledged or acknowledged
    participant.save(update_fields=["keys_pressed", "acknowledged", "updated_at"])
    suffix = " (acknowledged)" if acknowledged else ""
    _announce(participant, f"{participant} pressed {event.tone}{suffix}.")


def _who_pressed(call: Call) -> Participant | None:
    """The preview API does not say who pressed a key: tell only when one person can have."""
    joined = list(call.participants.select_related("contact").filter(state=ParticipantState.JOINED))
    if call.mode == CallMode.BROADCAST or len(joined) == 1:
        return joined[0] if joined else None
    return None


def _apply_play_result(call: Call, event: cb.PlayResult) -> None:
    call.media_state = MediaState.IDLE
    call.save(update_fields=["media_state", "updated_at"])
    broadcast_call(call)
    text = {
        cb.MediaOutcome.COMPLETED: "The audio finished playing.",
        cb.MediaOutcome.CANCELLED: "The audio was stopped.",
        cb.MediaOutcome.FAILED: f"The audio could not be played: {event.message or 'unknown'}.",
    }[event.outcome]
    add_timeline_entry(incident=call.incident, kind=TimelineKind.MEDIA, text=text)


def _apply_invite_result(call: Call, event: cb.InviteResult) -> None:
    if event.succeeded:
        return  # The roster snapshot that follows shows them joining.
    for participant in call.participants.select_related("contact").filter(
        identifier__in=event.participants,
        state__in=[ParticipantState.INVITED, ParticipantState.RINGING],
    ):
        participant.state = ParticipantState.FAILED
        participant.save(update_fields=["state", "updated_at"])
        _announce(participant, f"{participant} could not be reached.")


def _play_welcome_prompt_after_commit(call: Call) -> None:
    def play() -> None:
        fresh = Call.objects.select_related("prompt", "incident").get(pk=call.pk)
        if fresh.prompt is None or fresh.media_state != MediaState.IDLE:
            return
        try:
            play_prompt(call=fresh, prompt=fresh.prompt, loop=True, actor=None)
        except DomainError as exc:
            with transaction.atomic():
                add_timeline_entry(
                    incident=fresh.incident, kind=TimelineKind.ERROR, text=exc.message
                )

    transaction.on_commit(play)


_APPLY: dict[type, Callable[[Call, Any], None]] = {
    cb.CallStateChanged: _apply_call_state,
    cb.ParticipantsUpdated: _apply_roster,
    cb.ToneReceived: _apply_tone,
    cb.PlayResult: _apply_play_result,
    cb.InviteResult: _apply_invite_result,
}
