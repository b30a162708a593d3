"""Pacing call-outs: each due recipient gets an attempt in a free slot of a caller number, at a
start time the global start rate allows.

An attempt holds one slot of its caller number from the moment it is created until its call is
ending: the provider has accepted our hang-up or reported it terminating, and it ends the call
then (a call's last events, its Terminated among them, come a second or so later, and a line
waiting for them stood idle). So counting the attempts neither ended (`ended_at`) nor ending is
counting the calls in flight. Every
pacer (any worker, any call-out) locks the active caller numbers before counting: on PostgreSQL
pacers take turns there, so two of them never fill the same free slot; SQLite has one writer
anyway. The start rate is one row (StartClock), locked the same way, holding the next free start
slot: an attempt is created with that slot as its `scheduled_at` and its create-call task may not
run before it.

The attempts whose slots come within PLACE_NOW_WITHIN are placed by the pacer itself, after the
round's commit, each once its slot has come, instead of by place_attempt tasks: a freed line
would otherwise wait for one more task hop (a worker's poll, the queue behind other tasks)
before its next call. One whose slot has not come when the pacer reaches it gets its task then,
as later ones got theirs in the round's transaction. The rows are stored before any request, as
always; a pacer that dies before claiming one leaves it to the recovery sweep, which enqueues it
once its slot plus a lease has passed (callouts.services.recovery), as for any lost task.
"""

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from callouts.errors import NoCallerNumber
from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import (
    Attempt,
    CallerNumber,
    Callout,
    Recipient,
    RecipientStatus,
    StartClock,
)
from callouts.services.placing import place
from callouts.services.settling import anyone_left, finish_callout
from callouts.services.waking import wake_waiting_callouts
from callouts.tasks import is_queued, pace_callout, place_attempt
from calls.models import Call, CallMode, CallState, Participant
from calls.services.write_queue import serialized_writes
from incidents.events import batched_broadcasts

# When the pool is empty, the one number calls come from (ACS_CALLER_ID) gets ACS's own limit.
DEFAULT_CALLER_LIMIT = 2
# Attempts whose start slots come this soon are left to their pacer to place (see above).
PLACE_NOW_WITHIN = timedelta(milliseconds=500)
NO_CALLER_NUMBER = (
    "No caller number to call from: add an active one in the admin site "
    "(Call-outs → Caller numbers), or set ACS_CALLER_ID."
)


@dataclass(frozen=True)
class Round:
    """What one pacing round did: how many attempts it started, and those its pacer is to
    place (no task enqueued), with their start slots, soonest first."""

    started: int
    to_place: list[tuple[int, datetime]]


def pace(*, callout_id: int) -> int:
    """Pace the call-out (plan_round), then send the create-call of each attempt left to the
    pacer whose start slot has come, in slot order; the first whose slot has not come, and
    those after it, get their place_attempt tasks. Returns how many attempts started. Runs
    outside any transaction: no lock is held while the provider answers.

    Raises NoCallerNumber when no caller number is active and ACS_CALLER_ID is unset."""
    round_ = plan_round(callout_id=callout_id)
    for index, (attempt_id, slot) in enumerate(round_.to_place):
        if slot > timezone.now():
            _enqueue_placements(round_.to_place[index:])
            break
        place(attempt_id=attempt_id)  # settles a refusal itself; raises nothing for it
    return round_.started


def _enqueue_placements(attempts: list[tuple[int, datetime]]) -> None:
    with serialized_writes(), transaction.atomic():
        for attempt_id, slot in attempts:
            place_attempt.using(run_after=slot).enqueue(attempt_id)


def plan_round(*, callout_id: int) -> Round:
    """Start as many of the call-out's due recipients (pending, by position) as the caller
    numbers' free slots and the start rate allow: each gets an attempt and its call. Those
    whose start slot is more than PLACE_NOW_WITHIN away get the place_attempt task that dials
    them then; the others are returned for the caller to place. Plans the next wake-up (a
    retry wait ending), and finishes a call-out with nobody left to try.

    Raises NoCallerNumber when no caller number is active and ACS_CALLER_ID is unset."""
    with serialized_writes(), transaction.atomic(), batched_broadcasts():
        callout = (
            Callout.objects.select_for_update(no_key=True, of=("self",))
            .select_related("incident")
            .filter(pk=callout_id)
            .first()
        )
        if callout is None or not callout.is_running:
            return Round(started=0, to_place=[])
        free = free_slots(lock_pool())
        capacity = sum(free.values())
        due = list(due_recipients(callout)[:capacity]) if capacity else []
        now = timezone.now()
        to_place: list[tuple[int, datetime]] = []
        if due:
            slots = _start_slots(len(due), now)
            to_place = _start_attempts(callout, due, _assign(free, len(due)), slots, now=now)
        _plan_next(callout, now=now, spare=capacity - len(due))
        if due or not callout.is_running:
            broadcast_callout(callout)
    return Round(started=len(due), to_place=to_place)


def lock_pool() -> list[CallerNumber]:
    """The active caller numbers, locked (in id order, so pacers never deadlock). An empty pool
    calls from ACS_CALLER_ID, whose row is created on first use with ACS's limit of 2.

    Raises NoCallerNumber when there is neither."""
    active = CallerNumber.objects.select_for_update().filter(is_active=True).order_by("pk")
    numbers = list(active)
    if numbers:
        return numbers
    if settings.ACS_CALLER_ID:
        CallerNumber.objects.get_or_create(
            number=settings.ACS_CALLER_ID,
            defaults={
                "label": "ACS_CALLER_ID (the pool was empty)",
                "max_simultaneous_calls": DEFAULT_CALLER_LIMIT,
            },
        )
        numbers = list(active.all())
    if not numbers:
        raise NoCallerNumber(NO_CALLER_NUMBER)
    return numbers


def require_caller_number() -> None:
    """Raises NoCallerNumber unless a call-out could be dialled (see lock_pool); locks nothing."""
    if CallerNumber.objects.filter(is_active=True).exists():
        return
    fallback = settings.ACS_CALLER_ID
    if not fallback or CallerNumber.objects.filter(number=fallback).exists():  # switched off
        raise NoCallerNumber(NO_CALLER_NUMBER)


# Calls whose line is free again (see the module).
ENDING = (CallState.TERMINATING, CallState.TERMINATED)


def free_slots(numbers: list[CallerNumber]) -> dict[CallerNumber, int]:
    """How many more calls each of `numbers` may have in flight, across every call-out."""
    in_flight = dict(
        Attempt.objects.filter(ended_at__isnull=True, caller_number__in=numbers)
        .exclude(call__state__in=ENDING)
        .order_by()  # else the model's ordering joins the GROUP BY
        .values("caller_number")
        .annotate(n=Count("id"))
        .values_list("caller_number", "n")
    )
    return {n: max(0, n.max_simultaneous_calls - in_flight.get(n.pk, 0)) for n in numbers}


def due_recipients(callout: Callout) -> QuerySet[Recipient]:
    """The call-out's recipients to call now, in calling order (index recipient_due)."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now())
    return (
        Recipient.objects.filter(callout=callout, status=RecipientStatus.PENDING)
        .filter(due)
        .order_by("position")
    )


def _assign(free: dict[CallerNumber, int], count: int) -> list[CallerNumber]:
    """`count` numbers to call from, each time the one with the most free slots: calls spread
    over the pool instead of filling one number first."""
    heap = [(-slots, number.pk, number) for number, slots in free.items() if slots]
    heapq.heapify(heap)
    chosen = []
    for _ in range(count):
        slots, pk, number = heapq.heappop(heap)
        chosen.append(number)
        if slots < -1:
            heapq.heappush(heap, (slots + 1, pk, number))
    return chosen


def _start_slots(count: int, now: datetime) -> list[datetime]:
    """The next `count` free start times of the global start rate, taken from the StartClock."""
    clock, _ = StartClock.objects.select_for_update().get_or_create(pk=1)
    gap = timedelta(seconds=1 / settings.CALLOUT_STARTS_PER_SECOND)
    first = max(now, clock.next_start_at or now)
    slots = [first + gap * i for i in range(count)]
    clock.next_start_at = first + gap * count
    clock.save(update_fields=["next_start_at"])
    return slots


def _start_attempts(
    callout: Callout,
    due: list[Recipient],
    numbers: list[CallerNumber],
    slots: list[datetime],
    *,
    now: datetime,
) -> list[tuple[int, datetime]]:
    """Create the attempts (and their calls); enqueue the create-call task of each whose slot
    is more than PLACE_NOW_WITHIN after `now`, and return the others (id, slot) in slot order."""
    incident = callout.incident
    calls = Call.objects.bulk_create(
        Call(
            incident=incident,
            mode=CallMode.BROADCAST,
            quiet=True,  # the call-out tells what becomes of it (calls.services.announcements)
            prompt_id=callout.prompt_id,
            subject=incident.title[:200],
        )
        for _ in due
    )
    Participant.objects.bulk_create(
        Participant(call=call, contact_id=r.contact_id, identifier=r.identifier)
        for call, r in zip(calls, due, strict=True)
    )
    attempts = Attempt.objects.bulk_create(
        Attempt(recipient=r, number=r.attempts_made + 1, call=call, caller_number=n, scheduled_at=s)
        for r, call, n, s in zip(due, calls, numbers, slots, strict=True)
    )
    for recipient in due:
        recipient.status = RecipientStatus.DIALLING
        recipient.attempts_made += 1
        recipient.next_attempt_at = None
        recipient.updated_at = now
    Recipient.objects.bulk_update(due, ["status", "attempts_made", "next_attempt_at", "updated_at"])
    to_place = []
    for attempt in attempts:
        if attempt.scheduled_at <= now + PLACE_NOW_WITHIN:
            to_place.append((attempt.pk, attempt.scheduled_at))
        else:
            # In this transaction: the attempts and their wake-ups are kept together, or neither.
            place_attempt.using(run_after=attempt.scheduled_at).enqueue(attempt.pk)
    for recipient in due:
        recipient.callout = callout
        broadcast_recipient(recipient)
    return to_place


def _plan_next(callout: Callout, *, now: datetime, spare: int) -> None:
    """After a round: finish a call-out with nobody left, wake it when its first retry wait
    ends, and hand spare slots to the other call-outs waiting for one."""
    if not anyone_left(callout):
        finish_callout(callout)
        return
    waiting = callout.recipients.filter(
        status=RecipientStatus.PENDING, next_attempt_at__gt=now
    ).aggregate(first=Min("next_attempt_at"))["first"]
    if waiting is not None and not is_queued(pace_callout, callout.pk, by=waiting):
        pace_callout.using(run_after=waiting).enqueue(callout.pk)
    if spare > 0:
        wake_waiting_callouts(now=now, besides=callout.pk)
