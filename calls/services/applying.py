"""Applying stored provider events: per call, in the order they arrived, one batch at a time.

The provider delivers at least once and in any order, so every rule here only moves state
forward: a call never goes back from terminated, an older roster snapshot never overwrites a
newer one, and each stored event is applied once.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from callouts.following import attempt_of, follow
from callouts.models import Attempt
from calls import callback_events as ev
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
from calls.services.announcements import tell
from calls.services.call_batch import CallBatch
from calls.services.keys import listen_for_keys_after_commit
from calls.services.ringing import start_ringing
from calls.services.welcome import RunAside, play_welcome_prompt_after_commit, run_now
from calls.services.write_queue import serialized_writes
from config.request_ids import Cause, bound_request_id, caused_by
from escalations.services.stopping import stop_escalation_if_acknowledged_after_commit
from incidents.events import (
    batched_broadcasts,
    broadcast_incident_listed,
)
from incidents.models import TimelineKind
from incidents.timeline import batched_timeline
from webhooks.services.emitting import emit_incident_acknowledged

_PROVIDER_STATES = {
    ev.CallState.ESTABLISHING: CallState.ESTABLISHING,
    ev.CallState.ESTABLISHED: CallState.ESTABLISHED,
    ev.CallState.TERMINATING: CallState.TERMINATING,
    ev.CallState.TERMINATED: CallState.TERMINATED,
}
ACKNOWLEDGE_TONE = "1"
# What the timeline says when the call reaches each state.
_SAID = {
    CallState.ESTABLISHING: "The call is ringing.",
    CallState.ESTABLISHED: "The call connected.",
    CallState.TERMINATING: "The call is ending.",
    CallState.TERMINATED: "The call ended.",
}
logger = logging.getLogger(__name__)


def has_pending_events() -> bool:
    """Whether any stored event waits to be applied (a cheap look at a partial index)."""
    return CallEvent.objects.filter(applied_at__isnull=True).exists()


def apply_pending_events(
    *, call_ids: list[int] | None = None, batch_size: int = 500, run_aside: RunAside = run_now
) -> int:
    """Apply stored events not applied yet, per call in arrival order; return how many.

    Provider requests that follow an apply (the welcome prompt) are handed to `run_aside`
    after commit: the callback pipeline passes its own, so that they never hold up its thread.
    """
    pending = CallEvent.objects.filter(applied_at__isnull=True)
    if call_ids is not None:
        pending = pending.filter(call_id__in=call_ids)
    applied = 0
    failure: Exception | None = None
    # order_by(): the model's ordering would otherwise join DISTINCT, one row per event.
    for call_id in list(pending.order_by().values_list("call_id", flat=True).distinct()):
        count = batch_size
        try:
            while count == batch_size:  # A short batch was the last one.
                with serialized_writes():
                    count = _apply_call_events(call_id, batch_size, run_aside)
                applied += count
        except Exception as exc:  # One call's bad event must not hold up the other calls.
            logger.exception("Applying call %s's stored events failed; they stay stored.", call_id)
            failure = failure or exc
    if failure is not None:
        raise failure
    return applied


@transaction.atomic
@batched_broadcasts()
def _apply_call_events(call_id: int, batch_size: int, run_aside: RunAside) -> int:
    # One writer per call at a time: its events are applied in the order they arrived.
    call = Call.objects.select_for_update(no_key=True).get(pk=call_id)
    stored = list(call.events.filter(applied_at__isnull=True).order_by("id")[:batch_size])
    batch = CallBatch(call, run_aside)
    attempt = attempt_of(batch)
    batch.keypad_decides = attempt is not None
    # What this batch broadcasts comes from these callbacks (README "Operability").
    causes = [
        Cause(row.request_id, row.ingested_at)
        for row in stored
        if row.request_id or row.ingested_at
    ]
    with caused_by(causes), batched_timeline():
        for row in stored:
            event = cb.parse_stored(row.payload, arrived=row.ingested_at or row.received_at)
            with bound_request_id(row.request_id):
                _apply_event(batch, attempt, event)
                logger.info(
                    "Applied %s to call %s",
                    row.event_type,
                    call_id,
                    extra={"call_id": call_id, "event_type": row.event_type},
                )
        batch.write_changes()
    CallEvent.objects.filter(pk__in=[row.pk for row in stored]).update(applied_at=timezone.now())
    return len(stored)


@transaction.atomic
@batched_broadcasts()
def apply_provider_reading(
    *, call_id: int, events: Sequence[ev.CallbackEvent], run_aside: RunAside = run_now
) -> None:
    """Apply what a read of call `call_id` from the provider said, as events
    (calls.services.reconciling), by the same forward-only rules as its callbacks, and note
    when it was read. Raises Call.DoesNotExist."""
    call = Call.objects.select_for_update(no_key=True).get(pk=call_id)
    batch = CallBatch(call, run_aside)
    attempt = attempt_of(batch)
    batch.keypad_decides = attempt is not None
    with batched_timeline():
        for event in events:
            _apply_event(batch, attempt, event)
        call.reconciled_at = timezone.now()
        batch.save(call, "reconciled_at")
        batch.write_changes()


def _apply_event(batch: CallBatch, attempt: Attempt | None, event: Any) -> None:
    _APPLY.get(type(event), _ignore)(batch, event)
    if attempt is not None:  # a call-out's call: the call-out follows each event too
        follow(batch, attempt, event)


def _ignore(batch: CallBatch, event: Any) -> None:
    """Stored for the record; nothing to change (e.g. an event type we do not know yet)."""


def _apply_call_state(batch: CallBatch, event: ev.CallStateChanged) -> None:
    call = batch.call
    state = _PROVIDER_STATES.get(event.state)
    if not call.provider_call_id:
        # The event beat the create-call response: adopt the id it names.
        call.provider_call_id = event.call_id
        batch.save(call, "provider_call_id")
    if state is None or CALL_STATE_RANK[state] <= CALL_STATE_RANK[call.state]:
        return
    call.state = state
    if state == CallState.TERMINATED:
        call.ended_at = event.event_time
        call.media_state = MediaState.IDLE
    batch.save_and_announce(call, "state", "ended_at", "media_state", says=_SAID[state])
    if state == CallState.ESTABLISHING:
        start_ringing(batch.in_state(ParticipantState.INVITED))
    elif state == CallState.ESTABLISHED and call.prompt_id:
        # On GA it waits for someone's keys to be heard; if they are not yet, that plays it.
        play_welcome_prompt_after_commit(call, batch.run_aside)
    elif state == CallState.TERMINATED:
        joined = batch.in_state(ParticipantState.JOINED)
        waiting = batch.in_state(ParticipantState.INVITED, ParticipantState.RINGING)
        _move_participants(joined, ParticipantState.LEFT, event.event_time, batch)
        # The preview reports nothing for a first dial-out that is not answered (busy,
        # declined or ringing out all look the same): all it shows is the call ending.
        _move_participants(
            waiting,
            ParticipantState.FAILED,
            None,
            batch,
            said="was not reached: the call ended before they answered",
        )


def _move_participants(
    participants: list[Participant],
    new: ParticipantState,
    left_at: datetime | None,
    batch: CallBatch,
    *,
    said: str = "",
) -> None:
    """Move `participants` to `new` (leaving at `left_at`, if given) and announce each; with
    `said`, the timeline tells it too ("<name> left the call.")."""
    for participant in participants:
        participant.state = new
        if left_at is not None:
            participant.left_at = max(left_at, participant.joined_at or left_at)
        says = f"{participant} {said}." if said else ""
        batch.save_and_announce(participant, "state", "left_at", says=says)


def _apply_roster(batch: CallBatch, event: ev.ParticipantsUpdated) -> None:
    call = batch.call
    if _is_stale(call, event):
        return  # An older snapshot arriving late: the newer one already told the truth.
    call.roster_at = max(event.event_time, call.roster_at or event.event_time)
    call.roster_sequence = event.sequence_number
    batch.save(call, "roster_at", "roster_sequence")
    ours = {settings.ACS_SOURCE_ID, call.provider_source_id}
    present = {e.identifier: e for e in event.participants if e.identifier not in ours}
    participants = batch.by_identifier()
    for identifier, entry in present.items():
        participant = participants.get(identifier)
        if participant is None:
            if not call.provider_source_id:
                # Someone the app did not ring, before the create-call response told the app
                # its own identity: it may be the app's leg. A later snapshot adds a real one.
                continue
            participant = batch.add(identifier, uninvited=True)
        _join(batch, participant, entry, event)
    gone = [p for p in batch.in_state(ParticipantState.JOINED) if p.identifier not in present]
    _move_participants(gone, ParticipantState.LEFT, event.event_time, batch, said="left the call")


def _is_stale(call: Call, event: ev.ParticipantsUpdated) -> bool:
    """Whether a newer roster was applied already: by GA's sequence numbers where both have
    one (a repeat is stale too), else by event time."""
    if event.sequence_number is not None and call.roster_sequence is not None:
        return event.sequence_number <= call.roster_sequence
    return call.roster_at is not None and event.event_time < call.roster_at


def _join(
    batch: CallBatch, participant: Participant, entry: ev.RosterEntry, event: ev.ParticipantsUpdated
) -> None:
    if participant.state == ParticipantState.REMOVED:
        return  # Removed on purpose: only a new invitation brings them back.
    changed = participant.provider_participant_id != entry.participant_id
    participant.provider_participant_id = entry.participant_id
    if participant.state != ParticipantState.JOINED:
        participant.state = ParticipantState.JOINED
        participant.joined_at, participant.left_at = event.event_time, None
        changed = True
        listen_for_keys_after_commit(
            batch.call, participant, provider_call_id=event.call_id, run_aside=batch.run_aside
        )
    if changed:
        who = (
            f"{participant}, whom the app did not invite," if participant.uninvited else participant
        )
        batch.save_and_announce(
            participant,
            *("provider_participant_id", "state", "joined_at", "left_at"),
            *("keys_listened_at", "keys_answered_at"),
            says=f"{who} joined the call.",
        )


def _apply_tone(batch: CallBatch, event: ev.ToneReceived) -> None:
    participant = _who_pressed(batch, event)
    if participant is None:
        tell(
            batch.call,
            f"Someone on the call pressed {event.tone} (the provider does not say who).",
            kind=TimelineKind.KEYPRESS,
        )
        return
    participant.keys_pressed = (participant.keys_pressed + event.tone)[-200:]
    acknowledged = (
        not batch.keypad_decides and event.tone == ACKNOWLEDGE_TONE and not participant.acknowledged
    )
    participant.acknowledged = participant.acknowledged or acknowledged
    suffix = " (acknowledged)" if acknowledged else ""
    says = f"{participant} pressed {event.tone}{suffix}."
    batch.save_and_announce(participant, "keys_pressed", "acknowledged", says=says)
    if acknowledged:  # The list pages count who was reached; the webhooks are told.
        broadcast_incident_listed(batch.call.incident)
        emit_incident_acknowledged(
            incident=batch.call.incident,
            name=str(participant),
            identifier=participant.identifier,
            via="bridge",
        )
        stop_escalation_if_acknowledged_after_commit(incident_id=batch.call.incident_id)


def _who_pressed(batch: CallBatch, event: ev.ToneReceived) -> Participant | None:
    """Who pressed: the one the event names (GA), else, as the preview does not say, the one
    person who can have (a broadcast call's, or a bridge's only one on the call)."""
    if event.participant is not None:
        return batch.by_identifier().get(event.participant)
    joined = batch.in_state(ParticipantState.JOINED)
    if batch.call.mode == CallMode.BROADCAST or len(joined) == 1:
        return joined[0] if joined else None
    return None


def _apply_play_result(batch: CallBatch, event: ev.PlayResult) -> None:
    call = batch.call
    call.media_state = MediaState.IDLE
    if event.outcome == ev.MediaOutcome.CANCELLED:
        # Only our cancel_media stops a play, and it already logged who stopped it; the provider
        # reports each queued play it dropped, so logging these gave one line per prompt.
        batch.save_and_announce(call, "media_state")
        return
    says = {
        ev.MediaOutcome.COMPLETED: "The audio finished playing.",
        ev.MediaOutcome.FAILED: f"The audio could not be played: {event.message or 'unknown'}.",
    }[event.outcome]
    batch.save_and_announce(call, "media_state", says=says, kind=TimelineKind.MEDIA)


def _apply_invite_result(batch: CallBatch, event: ev.InviteResult) -> None:
    if event.succeeded:
        # Confirmed, so never sent again (calls.services.inviting); the roster snapshot that
        # follows shows them joining.
        invited = batch.in_state(ParticipantState.INVITED)
        start_ringing(p for p in invited if p.identifier in event.participants)
        return
    waiting = batch.in_state(ParticipantState.INVITED, ParticipantState.RINGING)
    for participant in (p for p in waiting if p.identifier in event.participants):
        participant.state = ParticipantState.FAILED
        says = f"{participant} was not reached: {_invite_failure(event)}."
        batch.save_and_announce(participant, "state", says=says)


# The preview documents no failure codes for invitations; these are the SIP responses it passes.
_INVITE_FAILURES = {
    408: "no answer",
    480: "no answer",
    486: "busy",
    487: "the invitation was cancelled",
    603: "declined",
}


def _invite_failure(event: ev.InviteResult) -> str:
    if event.code in _INVITE_FAILURES:
        return _INVITE_FAILURES[event.code]
    return f"the call failed ({(event.message or 'the provider gave no reason').rstrip('.')})"


_APPLY: dict[type, Callable[[CallBatch, Any], None]] = {
    ev.CallStateChanged: _apply_call_state,
    ev.ParticipantsUpdated: _apply_roster,
    ev.ToneReceived: _apply_tone,
    ev.PlayResult: _apply_play_result,
    ev.InviteResult: _apply_invite_result,
    # Ignored on purpose (stored for the record): the play's own PlayResult tells the end, the
    # app asks for no one-off recognize (keys come as ToneReceived from continuous DTMF), and
    # a removal shows in the roster snapshot that follows (remove_participant marked it).
    ev.PlayStarted: _ignore,
    ev.RecognizeResult: _ignore,
    ev.RemoveResult: _ignore,
}
