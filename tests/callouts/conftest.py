"""Call-outs under test: started through declare_incident, their tasks run by hand (the task
engine's own Worker, one ready task at a time), the provider faked at the transport and its
callbacks posted to the app's callback endpoint."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from callouts.models import Attempt, CallerNumber, Callout
from callouts.policy import Rules
from calls.models import Call, CallMode
from calls.targets import resolve_targets
from incidents.services import declare_incident
from tests.provider_callbacks import callback, post


def start_callout(
    people: int, *, user: User | None = None, rules: Rules | None = None, title: str = "Fire"
) -> Callout:
    """Declare an incident in broadcast mode to `people` numbers; return its call-out."""
    numbers = [f"+1425555{n:04d}" for n in range(1000, 1000 + people)]
    incident = declare_incident(
        title=title,
        targets=resolve_targets(numbers=numbers),
        mode=CallMode.BROADCAST,
        rules=rules,
        declared_by=user,
    )
    return Callout.objects.get(incident=incident)


def run_tasks(limit: int = 200) -> list[str]:
    """Run every task ready now (and those they enqueue, if ready too), each as a worker would;
    return their task names in the order they ran. Fails the test if one of them failed."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran: list[str] = []
    for _ in range(limit):
        result = DBTaskResult.objects.ready().first()
        if result is None:
            return ran
        result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
        ran.append(result.task_path.rsplit(".", 1)[-1])
    raise AssertionError(f"Still tasks ready after {limit}: a task enqueues itself for ever?")


def queued(name: str) -> list[DBTaskResult[Any, Any]]:
    """The tasks named `name` waiting to run, soonest first."""
    return list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=f"callouts.tasks.{name}"
        ).order_by("run_after")
    )


def call_state(call: Call, kind: str) -> dict[str, Any]:
    """CallConnected or CallDisconnected, in the dialect in force."""
    return callback(kind, call=call)


def roster(call: Call, numbers: list[str]) -> dict[str, Any]:
    return callback("ParticipantsUpdated", call=call, people=numbers)


def deliver(call: Call, *events: dict[str, Any]) -> None:
    """POST `events` to the call's callback endpoint (stored and applied at once)."""
    response = post(call, list(events))
    assert response.status_code == 200, response.content


def ring_out(attempt: Attempt) -> None:
    """The provider rang the attempt's phone and nobody answered: the call just ends."""
    call = Call.objects.get(pk=attempt.call_id)
    deliver(call, call_state(call, "CallDisconnected"))


def answer_and_hang_up(attempt: Attempt) -> None:
    """Someone answered the attempt's call, pressed nothing and hung up."""
    call = Call.objects.get(pk=attempt.call_id)
    person = call.participants.get().identifier
    deliver(
        call,
        call_state(call, "CallConnected"),
        roster(call, [person]),
        roster(call, []),
        call_state(call, "CallDisconnected"),
    )


def in_flight() -> dict[str, int]:
    """Attempts not ended, per caller number."""
    counts: dict[str, int] = {}
    for attempt in Attempt.objects.filter(ended_at__isnull=True).select_related("caller_number"):
        number = attempt.caller_number.number
        counts[number] = counts.get(number, 0) + 1
    return counts


@pytest.fixture
def pool(db: None) -> list[CallerNumber]:
    """Two caller numbers, two calls at once each."""
    return [
        CallerNumber.objects.create(number="+14255550001", max_simultaneous_calls=2),
        CallerNumber.objects.create(number="+14255550002", max_simultaneous_calls=2),
    ]


@pytest.fixture
def tasks() -> Callable[[], list[str]]:
    return run_tasks


@pytest.fixture(autouse=True)
def starts_at_once(settings: Any) -> None:
    """Start slots a microsecond apart, so that every start is due when the tasks run; the
    tests of the start rate set their own."""
    settings.CALLOUT_STARTS_PER_SECOND = 1_000_000
