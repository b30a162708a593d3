"""Alerts a dead worker was processing: queued again, as callouts.services.recovery does for
call-outs (django-tasks-db never takes back a task whose worker died)."""

from datetime import datetime, timedelta

from django.utils import timezone

from callouts.tasks import enqueue_unless_queued
from integrations.models import Alert, AlertOutcome
from integrations.tasks import process_alert

# An alert is normally processed within a second of arriving; one still queued this long
# after, with no task waiting for it, lost its task with a worker.
LOST_AFTER = timedelta(seconds=60)


def recover_alerts(*, now: datetime | None = None) -> int:
    """Enqueue again every queued alert older than LOST_AFTER that no task waits for; return
    how many. Raises nothing of its own."""
    before = (now or timezone.now()) - LOST_AFTER
    lost = Alert.objects.filter(outcome=AlertOutcome.QUEUED, received_at__lt=before)
    return enqueue_unless_queued(process_alert, lost.order_by("pk").values_list("pk", flat=True))
