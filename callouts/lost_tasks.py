"""Tasks a killed worker held: marked failed, so none shows "running" for ever.

django-tasks-db never takes back a task whose worker died. The recovery sweeps do not need it
to (they enqueue the work again from the rows, and ignore taken tasks), but the task's row
would stay "running" in the admin and in every count of work in progress. A task running for
longer than TASK_LEASE_SECONDS, far more than any of ours takes, is taken for lost and marked
failed; should its worker be alive after all, it marks the task done when it finishes.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

LOST = "callouts.lost_tasks.WorkerLost"


def fail_lost_tasks(*, now: datetime | None = None) -> int:
    """Mark failed every task running for longer than the lease (its worker is taken for dead);
    returns how many. Raises nothing of its own."""
    now = now or timezone.now()
    lost = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - timedelta(seconds=settings.TASK_LEASE_SECONDS),
    )
    return lost.update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=LOST,
        traceback="The worker running this task stopped (killed?); its work was recovered "
        "from the rows by the recovery sweeps.",
    )
