"""The call-out's background work, run by `manage.py run_worker` from the task database.

Tasks are only wake-ups: what to do is read from the call-out's rows, under row locks, so a
task that runs twice, late, or after a worker died half-way does no harm.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django_tasks import TaskResultStatus, task
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult, get_date_max

# The services enqueue these tasks, so each task imports its service when it runs.


# Pacing is the wake-up for a freed line and runs for milliseconds: a worker takes it before the
# create-calls that are ready (the default priority is 0), which it would otherwise queue behind.
PACE_PRIORITY = 10


@task(priority=PACE_PRIORITY)
def pace_callout(callout_id: int) -> None:
    """Start as many of the call-out's due attempts as the caller numbers and start rate allow,
    and place those due now."""
    from callouts.services.pacing import pace

    pace(callout_id=callout_id)


@task()
def place_attempt(attempt_id: int) -> None:
    """Send one attempt's create-call (again, with the same repeatability id, if need be)."""
    from callouts.services.placing import place

    place(attempt_id=attempt_id)


@task()
def join_bridge(attempt_id: int, give_up_at: str) -> None:
    """Ring someone who asked to join the bridge into it, once the bridge call has connected."""
    from callouts.services.bridging import ring_into_bridge

    ring_into_bridge(attempt_id=attempt_id, give_up_at=datetime.fromisoformat(give_up_at))


def is_queued(work: Task[Any, Any], row_id: int, *, by: datetime | None = None) -> bool:
    """Whether `work` for `row_id` (its first argument) waits in the queue, not yet taken by a
    worker (to run by `by`, if given). A task a worker has taken may be lost with that worker:
    it does not count.
    """
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=work.module_path, args_kwargs__args__0=row_id
    )
    if by is not None:
        # No run_after is stored as the end of time, and means "as soon as possible".
        waiting = waiting.filter(Q(run_after__lte=by) | Q(run_after=get_date_max()))
    return waiting.exists()


def enqueue_unless_queued(work: Task[Any, Any], row_ids: Iterable[int]) -> int:
    """Enqueue `work` for each of `row_ids` that no task waits for (the recovery sweeps: a
    task taken by a worker that died is lost); return how many were enqueued."""
    enqueued = 0
    for row_id in row_ids:
        if not is_queued(work, row_id):
            work.enqueue(row_id)
            enqueued += 1
    return enqueued
