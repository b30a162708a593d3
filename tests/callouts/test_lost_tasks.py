"""A task whose worker was killed does not stay "running" for ever: past the task lease it is
marked failed (its work the recovery sweeps enqueue again from the rows)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from callouts.lost_tasks import LOST, fail_lost_tasks
from callouts.tasks import pace_callout
from callouts.worker import after_ring_sweep

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _taken_by_a_worker_that_died() -> DBTaskResult[Any, Any]:
    pace_callout.enqueue(1)
    task = DBTaskResult.objects.get()
    task.claim("dead-worker")
    return task


def test_a_task_running_past_the_lease_is_marked_failed(settings: Any) -> None:
    settings.TASK_LEASE_SECONDS = 600
    with time_machine.travel(T0, tick=False):
        task = _taken_by_a_worker_that_died()
    with time_machine.travel(T0 + timedelta(seconds=599), tick=False):
        assert fail_lost_tasks() == 0
    with time_machine.travel(T0 + timedelta(seconds=601), tick=False):
        after_ring_sweep()  # the worker's sweep runs it
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and task.exception_class_path == LOST
    assert fail_lost_tasks() == 0


def test_a_lost_task_whose_worker_was_alive_after_all_ends_as_it_did(settings: Any) -> None:
    settings.TASK_LEASE_SECONDS = 600
    with time_machine.travel(T0, tick=False):
        task = _taken_by_a_worker_that_died()
    with time_machine.travel(T0 + timedelta(seconds=601), tick=False):
        fail_lost_tasks()
        task.set_successful(None)  # the slow worker finishes
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
