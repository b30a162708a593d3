"""After a worker is killed mid-task, nothing is lost and nothing is done twice: the recovery
sweep enqueues again what the dead worker held, and the same Repeatability-Request-ID makes the
provider answer with the call it already placed."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from callouts.models import Attempt, CalloutState, Outcome, RecipientStatus
from callouts.policy import Rules
from callouts.services.pacing import plan_round
from callouts.services.placing import place
from callouts.services.recovery import recover
from calls.models import CallState
from tests.callouts.conftest import queued, ring_out, run_tasks, start_callout
from tests.provider_fake import answer, fake_transport, operation

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for SIGKILL: the worker dies with the request sent, before reading the answer."""


class RepeatableProvider:
    """Answers create-calls as ACS does with repeatability: the same request id within the
    window gets the same call back, never a second one. `kill_next` lets the next create-call
    reach the provider and then kills the worker that sent it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.calls: dict[str, int] = {}  # request id → the number of the call placed for it
        self.kill_next = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if operation(request) != "create_call":
            return answer(request, len(self.requests))
        request_id = request.headers["Repeatability-Request-ID"]
        number = self.calls.setdefault(request_id, len(self.calls) + 1)
        if self.kill_next:
            self.kill_next = False
            raise WorkerKilled
        return answer(request, number)  # the call "leg-<number>", in the dialect in force

    def creates(self) -> list[httpx.Request]:
        return [r for r in self.requests if operation(r) == "create_call"]


@pytest.fixture
def acs() -> Iterator[RepeatableProvider]:
    fake = RepeatableProvider()
    with fake_transport(fake.handle):
        yield fake


def _killed_while_sending(acs: RepeatableProvider, **rules: Any) -> Attempt:
    """A call-out of one, whose worker died with the create-call sent and unanswered."""
    with time_machine.travel(T0, tick=False):
        callout = start_callout(1, rules=Rules(**rules))
        plan_round(callout_id=callout.pk)
        attempt = Attempt.objects.get()
        # The worker took up the attempt's task (as db_worker claims it) and died running it.
        DBTaskResult.objects.filter(task_path="callouts.tasks.place_attempt").update(
            status=TaskResultStatus.RUNNING
        )
        acs.kill_next = True
        with pytest.raises(WorkerKilled):
            place(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.claimed_at == T0 and attempt.call.state == CallState.PENDING
    return attempt


def test_a_create_call_lost_with_its_worker_is_sent_again_and_rings_once(
    pool: Any, acs: RepeatableProvider
) -> None:
    attempt = _killed_while_sending(acs)
    with time_machine.travel(T0 + LEASE - timedelta(seconds=1), tick=False):
        assert not recover()  # the lease still holds: the worker may be alive and slow
    with time_machine.travel(T0 + LEASE + timedelta(seconds=1), tick=False):
        assert recover().placements == 1
        assert recover().placements == 0  # queued already: not twice
        run_tasks()
    attempt.refresh_from_db()
    assert attempt.call.state == CallState.ESTABLISHING
    assert attempt.call.provider_call_id == "leg-1"
    first, again = acs.creates()
    for header in ("Repeatability-Request-ID", "Repeatability-First-Sent"):
        assert first.headers[header] == again.headers[header]
    assert json.loads(first.content) == json.loads(again.content)
    assert len(acs.calls) == 1  # the provider placed one call
    with time_machine.travel(T0 + LEASE * 3, tick=False):
        assert not recover()  # placed: nothing left to recover


def test_a_placement_no_worker_took_up_is_sent_once_its_start_slot_is_a_lease_old(
    pool: Any, acs: RepeatableProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        callout = start_callout(2)
        plan_round(callout_id=callout.pk)
    # Due within moments, they were left to their pacer to place (no task), and it died first.
    assert not DBTaskResult.objects.filter(task_path="callouts.tasks.place_attempt").exists()
    with time_machine.travel(T0 + LEASE - timedelta(seconds=1), tick=False):
        assert not recover().placements  # the pacer may be alive and slow
    with time_machine.travel(T0 + LEASE + timedelta(seconds=1), tick=False):
        assert recover().placements == 2
        run_tasks()
    assert len(acs.creates()) == 2 and len(acs.calls) == 2
    assert set(Attempt.objects.values_list("call__state", flat=True)) == {CallState.ESTABLISHING}


def test_past_the_repeatability_window_a_lost_create_call_fails_instead_of_ringing_twice(
    pool: Any, acs: RepeatableProvider
) -> None:
    attempt = _killed_while_sending(acs, max_attempts=1)
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert recover().placements == 1
        run_tasks()
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.FAILED and "Repeatability-Request-ID" in (
        attempt.provider_message
    )
    assert len(acs.creates()) == 1
    assert attempt.recipient.status == RecipientStatus.FAILED


def test_a_call_out_whose_pacer_died_is_paced_again(pool: Any, acs: RepeatableProvider) -> None:
    callout = start_callout(3)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)  # the pacer's worker died
    assert recover().pacings == 1
    assert recover().pacings == 0
    run_tasks()
    assert callout.recipients.filter(status=RecipientStatus.DIALLING).count() == 3


def test_a_running_call_out_with_nobody_left_is_finished_by_the_recovered_pacer(
    pool: Any, acs: RepeatableProvider
) -> None:
    callout = start_callout(1, rules=Rules(max_attempts=1))
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)
    callout.recipients.update(status=RecipientStatus.NOT_REACHED)
    assert recover().pacings == 1
    run_tasks()
    callout.refresh_from_db()
    assert callout.state == CalloutState.FINISHED


def test_a_call_out_waiting_for_a_retry_gets_its_lost_wake_up_back(
    pool: Any, acs: RepeatableProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        callout = start_callout(1, rules=Rules(max_attempts=2, retry_wait_seconds=600))
        run_tasks()
        ring_out(Attempt.objects.get())
        run_tasks()
        assert [t.run_after for t in queued("pace_callout")] == [T0 + timedelta(seconds=600)]
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()  # lost
        assert recover().pacings == 1
        run_tasks()
        assert [t.run_after for t in queued("pace_callout")] == [T0 + timedelta(seconds=600)]
    with time_machine.travel(T0 + timedelta(seconds=601), tick=False):
        run_tasks()
    assert callout.recipients.get().attempts.count() == 2
