"""Provider callbacks: verify, store each event once, answer, then apply it.

The provider delivers at least once and in any order, so every rule here only moves state
forward: a call never goes back from terminated, an older roster snapshot never overwrites a
newer one, and a redelivered event (same digest) is stored once and applied once.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
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
from incidents.timeline import add_timeline_entry, batched_timeline

_PROVIDER_STATES = {
    cb.CallState.ESTABLISHING: CallState.ESTABLISHING,
    cb.CallState.ESTABLISHED: CallState.ESTABLISHED,
    cb.CallState.TERMINATING: CallState.TERMINATING,
    cb.CallState.TERMINATED: CallState.TERMINATED,
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


@dataclass(frozen=True)
class Delivery:
    """One callback request as it arrived: the call and the secret named in its URL, its body."""

    call_id: int
    secret: str
    body: bytes


# What became of one callback: how many events it carried, or the error that refused it.
CallbackOutcome = int | DomainError


class UnknownCall(DomainError):
    code = "unknown_call"


class WrongCallbackSecret(DomainError):
    code = "bad_secret"


class MalformedCallback(DomainError):
    """The body is not events we understand; `code` is the parser's (e.g. `not_json`)."""


class EventForAnotherCall(DomainError):
    code = "wrong_call"


def event_digest(call: Call, event: cb.AnyCallbackEvent) -> str:
    canonical = json.dumps(event.raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{call.pk}:{canonical}".encode()).hexdigest()


def _run_now(work: Callable[[], None]) -> None:
    work()


# Set by calls.background in a server process: its callback pipeline stores deliveries in
# batches and applies them after answering, and provider requests that follow an apply (the
# welcome prompt) run aside, so that they never hold up the pipeline's thread.
_pipeline: Callable[[Delivery], CallbackOutcome] | None = None
_run_aside: Callable[[Callable[[], None]], None] = _run_now


def use_callback_pipeline(
    pipeline: Callable[[Delivery], CallbackOutcome] | None,
    *,
    run_aside: Callable[[Callable[[], None]], None] = _run_now,
) -> None:
    global _pipeline, _run_aside
    _pipeline, _run_aside = pipeline, run_aside


def ingest_callback(*, call_id: int, secret: str, body: bytes) -> int:
    """Verify and store one callback, and have its events applied; returns how many it carried.

    In a server process the callback pipeline stores it together with whatever else arrived
    meanwhile and applies it after the provider has its answer; elsewhere (management
    commands, tests) it is stored and applied before this returns. Raises UnknownCall,
    WrongCallbackSecret, MalformedCallback or EventForAnotherCall, and then stores nothing;
    the pipeline may also answer CallbackNotStored (a database error, or no turn in time).
    """
    delivery = Delivery(call_id, secret, body)
    if _pipeline is not None:
        outcome = _pipeline(delivery)
    else:
        (outcome,) = store_callbacks([delivery])
        if not isinstance(outcome, DomainError):
            apply_pending_events(call_ids=[call_id])
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def store_callbacks(deliveries: Sequence[Delivery]) -> list[CallbackOutcome]:
    """Verify each callback and store the events of those that pass, in one INSERT.

    Returns, per delivery, how many events it carried or the error that refused it. Each event
    is stored once (by digest): a redelivery stores nothing and still counts as received.
    Applying comes after, in arrival order (apply_pending_events), so a slow or failing apply
    never loses an accepted event.
    """
    calls = _calls_by_id({delivery.call_id for delivery in deliveries})
    outcomes: list[CallbackOutcome] = []
    rows: list[CallEvent] = []
    for delivery in deliveries:
        try:
            call, events = _verify(delivery, calls.get(delivery.call_id))
        except DomainError as refusal:
            outcomes.append(refusal)
            continue
        outcomes.append(len(events))
        rows.extend(_event_row(call, event) for event in events)
    try:
        # Atomic on its own; the digest's unique index turns a redelivery into a no-op.
        with serialized_writes():
            CallEvent.objects.bulk_create(rows, ignore_conflicts=True)
    except IntegrityError:
        # A call was deleted since it was read: store the others one by one.
        if len(deliveries) > 1:
            return [outcome for delivery in deliveries for outcome in store_callbacks([delivery])]
        return [UnknownCall("No such call.")]
    return outcomes


def _event_row(call: Call, event: cb.AnyCallbackEvent) -> CallEvent:
    return CallEvent(
        call=call, event_type=event.event_type, payload=event.raw, digest=event_digest(call, event)
    )


def _calls_by_id(ids: set[int]) -> dict[int, Call]:
    return Call.objects.only("pk", "callback_secret", "provider_call_id").in_bulk(ids)


def _verify(delivery: Delivery, call: Call | None) -> tuple[Call, tuple[cb.AnyCallbackEvent, ...]]:
    """The call and the parsed events of a callback we accept; raises why it is refused."""
    if call is None:
        raise UnknownCall("No such call.")
    # The secret in the URL is the only credential the preview API offers.
    if not hmac.compare_digest(call.callback_secret.encode(), delivery.secret.encode()):
        raise WrongCallbackSecret("The callback secret is wrong.")
    try:
        events = cb.parse_callback(delivery.body)
    except cb.CallbackParseError as exc:
        raise MalformedCallback(exc.message, code=exc.code) from None
    for event in events:
        leg = getattr(event, "call_id", None)
        if leg and call.provider_call_id and leg != call.provider_call_id:
            raise EventForAnotherCall(f"The event is for call leg {leg}, not this call.")
    for event in events:
        if isinstance(event, cb.UnknownEvent):
            logger.warning("Accepted an event type we do not apply: %s", event.event_type)
    return call, events


def has_pending_events() -> bool:
    """Whether any stored event waits to be applied (a cheap look at a partial index)."""
    return CallEvent.objects.filter(applied_at__isnull=True).exists()


def apply_pending_events(*, call_ids: list[int] | None = None, batch_size: int = 500) -> int:
    """Apply stored events not applied yet, per call in arrival order; return how many."""
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
                    count = _apply_call_events(call_id, batch_size)
                applied += count
        except Exception as exc:  # One call's bad event must not hold up the other calls.
            logger.exception("Applying call %s's stored events failed; they stay stored.", call_id)
            failure = failure or exc
    if failure is not None:
        raise failure
    return applied


@transaction.atomic
@batched_broadcasts()
def _apply_call_events(call_id: int, batch_size: int) -> int:
    # One writer per call at a time: its events are applied in the order they arrived.
    call = Call.objects.select_for_update(no_key=True).get(pk=call_id)
    stored = list(call.events.filter(applied_at__isnull=True).order_by("id")[:batch_size])
    batch = _CallBatch(call)
    with batched_timeline():
        for row in stored:
            event = cb.parse_envelope(row.payload)
            _APPLY.get(type(event), _ignore)(batch, event)
        batch.write_changes()
    CallEvent.objects.filter(pk__in=[row.pk for row in stored]).update(applied_at=timezone.now())
    return len(stored)


class _CallBatch:
    """A batch of one call's events, applied together. The call's participants are read (and
    locked) once, and each row the events change is written once when the batch ends: a burst
    of key presses costs one UPDATE, not one per press. (start_ringing, shared with the other
    services, writes the phones it starts ringing at once.)"""

    def __init__(self, call: Call) -> None:
        self.call = call
        self._by_identifier: dict[str, Participant] | None = None
        self._changed: dict[Call | Participant, set[str]] = {}

    def by_identifier(self) -> dict[str, Participant]:
        if self._by_identifier is None:
            participants = self.call.participants.select_for_update(
                no_key=True, of=("self",)
            ).select_related("contact")
            self._by_identifier = {p.identifier: p for p in participants}
        return self._by_identifier

    def in_state(self, *states: ParticipantState) -> list[Participant]:
        return [p for p in self.by_identifier().values() if p.state in states]

    def add(self, identifier: str) -> Participant:
        participant = Participant.objects.create(call=self.call, identifier=identifier)
        self.by_identifier()[identifier] = participant
        return participant

    def save(self, row: Call | Participant, *fields: str) -> None:
        """Write these fields of `row` (and its updated_at) when the batch ends."""
        self._changed.setdefault(row, set()).update(fields)

    def write_changes(self) -> None:
        for row, fields in self._changed.items():
            row.save(update_fields=[*sorted(fields), "updated_at"])


def _ignore(batch: _CallBatch, event: Any) -> None:
    """Stored for the record; nothing to change (e.g. an event type we do not know yet)."""


def _apply_call_state(batch: _CallBatch, event: cb.CallStateChanged) -> None:
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
    batch.save(call, "state", "ended_at", "media_state")
    broadcast_call(call)
    add_timeline_entry(incident_id=call.incident_id, kind=TimelineKind.CALL, text=_SAID[state])
    if state == CallState.ESTABLISHING:
        start_ringing(batch.in_state(ParticipantState.INVITED))
    elif state == CallState.ESTABLISHED and call.prompt_id:
        _play_welcome_prompt_after_commit(call)
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
    batch: _CallBatch,
    *,
    said: str = "",
) -> None:
    """Move `participants` to `new` (leaving at `left_at`, if given) and announce each; with
    `said`, the timeline tells it too ("<name> left the call.")."""
    for participant in participants:
        participant.state = new
        if left_at is not None:
            participant.left_at = max(left_at, participant.joined_at or left_at)
        batch.save(participant, "state", "left_at")
        _announce(participant, f"{participant} {said}." if said else "")


def _announce(participant: Participant, text: str = "") -> None:
    broadcast_participant(participant)
    if text:
        add_timeline_entry(
            incident_id=participant.call.incident_id, kind=TimelineKind.PARTICIPANT, text=text
        )


def _apply_roster(batch: _CallBatch, event: cb.ParticipantsUpdated) -> None:
    call = batch.call
    if call.roster_at is not None and event.event_time < call.roster_at:
        return  # An older snapshot arriving late: the newer one already told the truth.
    call.roster_at = event.event_time
    batch.save(call, "roster_at")
    present = {
        entry.identifier: entry
        for entry in event.participants
        if entry.identifier != settings.ACS_SOURCE_ID
    }
    participants = batch.by_identifier()
    for identifier, entry in present.items():
        participant = participants.get(identifier) or batch.add(identifier)
        _join(batch, participant, entry, event.event_time)
    gone = [p for p in batch.in_state(ParticipantState.JOINED) if p.identifier not in present]
    _move_participants(gone, ParticipantState.LEFT, event.event_time, batch, said="left the call")


def _join(batch: _CallBatch, participant: Participant, entry: cb.RosterEntry, at: datetime) -> None:
    if participant.state == ParticipantState.REMOVED:
        return  # Removed on purpose: only a new invitation brings them back.
    changed = participant.provider_participant_id != entry.participant_id
    participant.provider_participant_id = entry.participant_id
    if participant.state != ParticipantState.JOINED:
        participant.state = ParticipantState.JOINED
        participant.joined_at, participant.left_at = at, None
        changed = True
    if changed:
        batch.save(participant, "provider_participant_id", "state", "joined_at", "left_at")
        _announce(participant, f"{participant} joined the call.")


def _apply_tone(batch: _CallBatch, event: cb.ToneReceived) -> None:
    participant = _who_pressed(batch)
    if participant is None:
        add_timeline_entry(
            incident_id=batch.call.incident_id,
            kind=TimelineKind.KEYPRESS,
            text=f"Someone on the call pressed {event.tone} (the provider does not say who).",
        )
        return
    participant.keys_pressed = (participant.keys_pressed + event.tone)[-200:]
    acknowledged = event.tone == ACKNOWLEDGE_TONE and not participant.acknowledged
    participant.acknowledged = participant.acknowledged or acknowledged
    batch.save(participant, "keys_pressed", "acknowledged")
    suffix = " (acknowledged)" if acknowledged else ""
    _announce(participant, f"{participant} pressed {event.tone}{suffix}.")


def _who_pressed(batch: _CallBatch) -> Participant | None:
    """The preview API does not say who pressed a key: tell only when one person can have."""
    joined = batch.in_state(ParticipantState.JOINED)
    if batch.call.mode == CallMode.BROADCAST or len(joined) == 1:
        return joined[0] if joined else None
    return None


def _apply_play_result(batch: _CallBatch, event: cb.PlayResult) -> None:
    call = batch.call
    call.media_state = MediaState.IDLE
    batch.save(call, "media_state")
    broadcast_call(call)
    if event.outcome == cb.MediaOutcome.CANCELLED:
        # Only our cancel_media stops a play, and it already logged who stopped it; the provider
        # reports each queued play it dropped, so logging these gave one line per prompt.
        return
    text = {
        cb.MediaOutcome.COMPLETED: "The audio finished playing.",
        cb.MediaOutcome.FAILED: f"The audio could not be played: {event.message or 'unknown'}.",
    }[event.outcome]
    add_timeline_entry(incident_id=call.incident_id, kind=TimelineKind.MEDIA, text=text)


def _apply_invite_result(batch: _CallBatch, event: cb.InviteResult) -> None:
    if event.succeeded:
        return  # The roster snapshot that follows shows them joining.
    waiting = batch.in_state(ParticipantState.INVITED, ParticipantState.RINGING)
    for participant in (p for p in waiting if p.identifier in event.participants):
        participant.state = ParticipantState.FAILED
        batch.save(participant, "state")
        _announce(participant, f"{participant} was not reached: {_invite_failure(event)}.")


# The preview documents no failure codes for invitations; these are the SIP responses it passes.
_INVITE_FAILURES = {
    408: "no answer",
    480: "no answer",
    486: "busy",
    487: "the invitation was cancelled",
    603: "declined",
}


def _invite_failure(event: cb.InviteResult) -> str:
    if event.code in _INVITE_FAILURES:
        return _INVITE_FAILURES[event.code]
    return f"the call failed ({(event.message or 'the provider gave no reason').rstrip('.')})"


def _play_welcome_prompt_after_commit(call: Call) -> None:
    def play() -> None:
        fresh = Call.objects.select_related("prompt").get(pk=call.pk)
        if fresh.prompt is None or fresh.media_state != MediaState.IDLE:
            return
        try:
            play_prompt(call=fresh, prompt=fresh.prompt, loop=True, actor=None)
        except DomainError as exc:
            with transaction.atomic():
                add_timeline_entry(
                    incident_id=fresh.incident_id, kind=TimelineKind.ERROR, text=exc.message
                )

    transaction.on_commit(lambda: _run_aside(play))


_APPLY: dict[type, Callable[[_CallBatch, Any], None]] = {
    cb.CallStateChanged: _apply_call_state,
    cb.ParticipantsUpdated: _apply_roster,
    cb.ToneReceived: _apply_tone,
    cb.PlayResult: _apply_play_result,
    cb.InviteResult: _apply_invite_result,
}
