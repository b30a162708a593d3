"""Recovering escalation work a dead worker held: every step runs, none twice.

django-tasks-db never takes back a task whose worker died (it stays "running" for ever), so
the escalations' own rows are the truth: a running escalation whose next step is overdue
with no task to run by now, and one whose bridge invitations are unsent with no claim (or
one older than the lease), get their task enqueued again. Each run decides under the row
lock, so a twin does nothing. Run by every `manage.py run_worker` after each ring sweep
(callouts.worker.after_ring_sweep).
"""

from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from callouts.tasks import is_queued
from escalations.models import Escalation, EscalationState
from escalations.services.stepping import LEASE
from escalations.tasks import run_escalation


def recover_escalations(*, now: datetime | None = None) -> int:
    """Enqueue again the task of each escalation with an overdue step or unsent invitations
    that no task waits for (one to run by `now`, default now); returns how many. Raises
    nothing of its own."""
    now = now or timezone.now()
    overdue = Q(state=EscalationState.RUNNING, next_step_at__lte=now)
    unsent = Q(dispatched_step__lt=F("current_step")) & (
        Q(dispatch_claimed_at__isnull=True) | Q(dispatch_claimed_at__lt=now - LEASE)
    )
    enqueued = 0
    for pk in (
        Escalation.objects.filter(overdue | unsent).order_by("pk").values_list("pk", flat=True)
    ):
        if not is_queued(run_escalation, pk, by=now):
            run_escalation.enqueue(pk)
            enqueued += 1
    return enqueued
