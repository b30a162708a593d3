"""Twenty writers at once on one SQLite file, each on a real code path (run by
tests/integration/test_sqlite_writers.py).

    python -m tests.integration.sqlite_writers ROUNDS
        -> JSON: what the writers did, every error they met or a log line reported, and what
           the database holds afterwards

The environment names the database file (SQLITE_PATH, migrated here) and the provider (a
standalone emulator, ACS_CONNECTION_STRING). All writers start together and each does ROUNDS
things: dashboard operators declare an incident (a bridge, or a call-out of two people) and
resolve it through the HTML views; the provider's callbacks are posted to the callback endpoint;
the worker's sweeps run (its share of the ring sweep, the ring timeout, applying); and
django-tasks-db workers run the call-outs' tasks until the queue is empty.
"""

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult, get_date_max  # noqa: E402

DASHBOARDS, CALLBACKS, SWEEPS, TASK_WORKERS = 6, 6, 4, 4  # 20 writers
ERROR_MARK = "database is locked"
TITLE = "Writer"


class Trouble(logging.Handler):
    """Every log line at WARNING or above that says the database was locked or busy."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (self.format(record) if record.exc_info else "")
        if "locked" in text or "busy" in text:
            self.lines.append(text[-500:])


def prepare() -> dict[str, Any]:
    """The schema; an operator; a pool of caller numbers; a call that takes callbacks."""
    call_command("migrate", verbosity=0)
    from bench.data import prepare as prepare_call
    from callouts.models import CallerNumber

    CallerNumber.objects.bulk_create(
        CallerNumber(number=f"+1425555{n:04d}", max_simultaneous_calls=5) for n in (301, 302)
    )
    return prepare_call()


def dashboard(rounds: int, errors: list[str], writer: int) -> int:
    """Declare and resolve `rounds` incidents through the dashboard; how many were declared."""
    client = Client()
    client.force_login(User.objects.get(username="bench-operator"))
    declared = 0
    for n in range(rounds):
        broadcast = n % 2 == 1
        numbers = [f"+1206555{writer:02d}{n:02d}", f"+1206556{writer:02d}{n:02d}"]
        form = {
            "title": f"{TITLE} {writer}.{n}",
            "severity": "major",
            "mode": "broadcast" if broadcast else "bridge",
            "numbers": "\n".join(numbers if broadcast else numbers[:1]),
            "prompt": "",
        }
        answer = client.post("/incidents/declare/", form)
        if answer.status_code != 302 or "/incidents/" not in answer["Location"]:
            errors.append(f"declare answered {answer.status_code}")
            continue
        declared += 1
        incident = answer["Location"].rstrip("/").rsplit("/", 1)[1]
        answer = client.post(f"/incidents/{incident}/resolve/")
        if answer.status_code != 302:
            errors.append(f"resolve answered {answer.status_code}")
    return declared


def callbacks(rounds: int, errors: list[str], writer: int, call: dict[str, Any]) -> int:
    """Post `rounds` distinct key presses to the callback endpoint; how many were answered 2xx."""
    from bench.envelopes import event_time, tone_body

    client = Client()
    url = f"/calls/{call['call_id']}/events/{call['secret']}/"
    stored = 0
    for n in range(rounds):
        body = tone_body(writer * 10_000 + n, event_time(datetime.now(UTC)))
        answer = client.post(url, body, content_type="application/json")
        if answer.status_code // 100 == 2:
            stored += 1
        else:
            errors.append(f"callback answered {answer.status_code}: {answer.content[:200]!r}")
    return stored


def sweeps(rounds: int, errors: list[str], writer: int) -> int:
    """Run the worker's sweeps `rounds` times: its share of the ring sweep, the ring timeout,
    the reads of overdue calls, and applying stored events."""
    from callouts.worker import after_ring_sweep
    from calls.services import apply_pending_events, expire_unanswered
    from calls.services.reconciling import reconcile_stuck_calls

    for _ in range(rounds):
        after_ring_sweep()
        expire_unanswered()
        reconcile_stuck_calls()
        apply_pending_events()
    return rounds


def run(rounds: int) -> dict[str, Any]:
    trouble = Trouble()
    logging.getLogger().addHandler(trouble)
    call = prepare()
    connection.close()
    errors: list[str] = []
    done: dict[str, int] = {}
    start = threading.Barrier(DASHBOARDS + CALLBACKS + SWEEPS + TASK_WORKERS)

    def writer(name: str, work: Callable[[], int]) -> Callable[[], None]:
        def body() -> None:
            start.wait()
            try:
                done[name] = work()
            except Exception as error:  # noqa: BLE001 - the test reports it
                errors.append(f"{name}: {error!r}")
            finally:
                connection.close()

        return body

    threads = [
        threading.Thread(target=writer(f"dashboard {w}", partial(dashboard, rounds, errors, w)))
        for w in range(DASHBOARDS)
    ]
    threads += [
        threading.Thread(
            target=writer(f"callbacks {w}", partial(callbacks, rounds, errors, w, call))
        )
        for w in range(CALLBACKS)
    ]
    threads += [
        threading.Thread(target=writer(f"sweeps {w}", partial(sweeps, rounds, errors, w)))
        for w in range(SWEEPS)
    ]
    task_threads = _task_workers(start)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _drain(errors)
    for task_thread in task_threads:
        if not task_thread.stop():
            errors.append("a task worker did not stop")
    return {
        "errors": errors,
        "locked": trouble.lines,
        "done": done,
        **_stored(call["call_id"]),
    }


def _task_workers(start: threading.Barrier) -> list[Any]:
    """TASK_WORKERS of the worker's task threads, each starting once every writer is ready."""
    from callouts.worker import TaskThread

    workers = [TaskThread() for _ in range(TASK_WORKERS)]
    for worker in workers:
        ready = threading.Thread(target=lambda w=worker: (start.wait(), w.start()))
        ready.start()
    return workers


def _drain(errors: list[str], within: float = 60.0) -> None:
    """Wait until no task is due or running."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        due = Q(run_after__lte=timezone.now()) | Q(run_after=get_date_max())
        busy = DBTaskResult.objects.filter(
            Q(status=TaskResultStatus.RUNNING) | (due & Q(status=TaskResultStatus.READY))
        ).exists()
        if not busy:
            return
        time.sleep(0.2)
    errors.append(f"tasks still due or running after {within:g} s")


def _stored(call_id: int) -> dict[str, Any]:
    from calls.models import CallEvent
    from incidents.models import Incident

    statuses = DBTaskResult.objects.values("status").annotate(n=Count("id"))
    return {
        "incidents": Incident.objects.filter(title__startswith=TITLE).count(),
        "resolved": Incident.objects.filter(title__startswith=TITLE, status="resolved").count(),
        "events": CallEvent.objects.filter(call_id=call_id).count(),
        "tasks": {row["status"]: row["n"] for row in statuses},
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]))))
