"""Waking call-outs that wait for a free slot of the caller-number pool.

The pool is shared: the call that ends in one call-out may be the slot another waits for, so
whoever frees slots it will not use itself (a pacer with nobody due, a settled attempt that
finished its call-out) wakes the others.
"""

from datetime import datetime

from django.db.models import Q

from callouts.models import Callout, CalloutState, RecipientStatus
from callouts.tasks import is_queued, pace_callout


def wake_waiting_callouts(*, now: datetime, besides: int | None = None) -> int:
    """Enqueue pacing for the running call-outs with recipients due and no pacing queued (the
    slots are shared: one call-out's ended call may be another's turn); return how many."""
    due = Q(recipients__status=RecipientStatus.PENDING) & (
        Q(recipients__next_attempt_at__isnull=True) | Q(recipients__next_attempt_at__lte=now)
    )
    waiting = (
        Callout.objects.filter(state=CalloutState.RUNNING)
        .exclude(pk__in=[] if besides is None else [besides])
        .filter(due)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    woken = 0
    for callout_id in waiting:
        if not is_queued(pace_callout, callout_id, by=now):
            pace_callout.enqueue(callout_id)
            woken += 1
    return woken
