"""Recovering call-out work that a dead worker held: nothing lost, nothing done twice.

The task engine (django-tasks-db) never takes back a task whose worker died: the task stays
"running" for ever. The call-out's own rows are the truth, so this sweep reads them and enqueues
the wake-ups that are missing; each task is safe to run twice (it re-reads and locks its rows).
Run by every `manage.py run_worker` when it starts and on each ring sweep.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from callouts.models import Attempt, CallerNumber, Callout, CalloutState, RecipientStatus
from callouts.services.pacing import due_recipients, free_slots
from callouts.services.waking import wake_waiting_callouts
from callouts.tasks import enqueue_unless_queued, is_queued, pace_callout, place_attempt
from calls.models import CallState


@dataclass(frozen=True)
class Recovered:
    placements: int  # attempts whose create-call was enqueued again
    pacings: int  # call-outs whose pacing was enqueued again

    def __bool__(self) -> bool:
        return bool(self.placements or self.pacings)


def recover(*, now: datetime | None = None) -> Recovered:
    """Enqueue again the create-call of every attempt not placed whose claim ran out (or that
    nobody claimed after its start slot plus a lease), and the pacing of every running call-out
    that has work due, a free slot and no pacing queued. Returns what it enqueued. Raises
    nothing of its own."""
    now = now or timezone.now()
    return Recovered(placements=_lost_placements(now), pacings=_stalled_pacings(now))


def _lost_placements(now: datetime) -> int:
    expired = now - timedelta(seconds=settings.CALLOUT_LEASE_SECONDS)
    lost = Attempt.objects.filter(
        ended_at__isnull=True, call__state__in=(CallState.PENDING, CallState.FAILED)
    ).filter(Q(claimed_at__lt=expired) | Q(claimed_at__isnull=True, scheduled_at__lt=expired))
    # The task decides: the same request again, or settled as failed past the window.
    return enqueue_unless_queued(place_attempt, lost.order_by("pk").values_list("pk", flat=True))


def _stalled_pacings(now: datetime) -> int:
    woken = 0
    if any(free_slots(list(CallerNumber.objects.filter(is_active=True))).values()):
        woken += wake_waiting_callouts(now=now)
    # A call-out whose recipients all wait for a retry time, or with nobody left to call, needs
    # its pacer too: to be woken when the first wait ends, or to be finished.
    for callout in Callout.objects.filter(state=CalloutState.RUNNING).order_by("pk"):
        dialling = callout.recipients.filter(status=RecipientStatus.DIALLING).exists()
        if dialling or due_recipients(callout).exists():
            continue
        if not is_queued(pace_callout, callout.pk):
            pace_callout.enqueue(callout.pk)
            woken += 1
    return woken
