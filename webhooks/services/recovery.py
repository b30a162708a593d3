"""Recovering deliveries a dead worker held: every due delivery gets sent, none twice at once.

django-tasks-db never takes back a task whose worker died (it stays "running" for ever), so
the deliveries' own rows are the truth: a pending delivery that is due, not claimed by a live
worker (no claim, or one older than the lease) and has no task waiting is enqueued again.
Run by every `manage.py run_worker` when it starts and after each ring sweep
(callouts.worker.after_ring_sweep).
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from callouts.tasks import enqueue_unless_queued
from webhooks.models import Delivery, DeliveryStatus
from webhooks.services.delivering import LEASE
from webhooks.tasks import deliver_webhook


def recover_deliveries(*, now: datetime | None = None) -> int:
    """Enqueue again the sending of every pending delivery due by `now` (default now) whose
    claim is missing or ran out and that no task waits for; returns how many. Raises nothing
    of its own."""
    now = now or timezone.now()
    lost = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)
    )
    # A task taken by a live worker that has not claimed yet may be sent a twin: the lease
    # makes the later one do nothing.
    return enqueue_unless_queued(deliver_webhook, lost.order_by("pk").values_list("pk", flat=True))
