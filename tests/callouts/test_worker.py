"""The worker process: the task engine's worker on threads of its own next to the applier, which
reads live calls from the provider and recovers a dead worker's work when it starts, and leaves
no thread behind when it stops."""

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from callouts import worker as worker_module
from callouts.models import Attempt
from callouts.services.pacing import plan_round
from callouts.worker import TaskThread, run_worker_process
from calls.client_ga import GaCallAutomationClient
from calls.models import Call, CallState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from tests.callouts.conftest import start_callout
from tests.calls.test_reconciling import GA, GaCalls
from tests.factories import CallFactory
from tests.provider_fake import FakeProvider, fake_transport, operation

# serialized_rollback: the database is emptied after each test; this puts back what the
# migrations made (content types, role groups) for the tests that come after.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _task_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tasks"]


class CountingProvider(FakeProvider):
    """Sets `placed` once `expected` create-calls have come in. The tests wait on it instead of
    polling the database: the test database (shared-cache SQLite in memory) locks whole tables
    against a second connection, and only the worker's thread may use it meanwhile."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.placed = threading.Event()

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = super().handle(request)
        if sum(operation(r) == "create_call" for r in self.requests) >= self.expected:
            self.placed.set()
        return response


@pytest.fixture
def acs() -> Iterator[CountingProvider]:
    fake = CountingProvider(expected=3)
    with fake_transport(fake.handle):
        yield fake


def _placed() -> int:
    return Attempt.objects.filter(call__state=CallState.ESTABLISHING).count()


def test_the_task_thread_paces_and_places_then_stops_after_its_task(
    pool: Any, acs: CountingProvider
) -> None:
    start_callout(3)
    tasks = TaskThread(interval=0.01)
    tasks.start()
    try:
        assert acs.placed.wait(20)
    finally:
        assert tasks.stop(timeout=10)
    assert _task_threads() == []
    assert _placed() == 3 and len(acs.requests) == 3
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()


async def test_a_starting_worker_recovers_what_a_killed_one_left_and_stops_cleanly(
    pool: Any, acs: CountingProvider, settings: Any
) -> None:
    acs.expected = 1

    def killed_worker_left_a_placement() -> None:
        callout = start_callout(1)
        plan_round(callout_id=callout.pk)
        long_ago = timezone.now() - timedelta(seconds=settings.CALLOUT_LEASE_SECONDS + 1)
        Attempt.objects.update(scheduled_at=long_ago, claimed_at=long_ago)
        DBTaskResult.objects.update(status=TaskResultStatus.RUNNING)  # its worker was killed

    await sync_to_async(killed_worker_left_a_placement)()
    worker = asyncio.create_task(run_worker_process(task_interval=0.01))
    try:
        assert await asyncio.to_thread(acs.placed.wait, 20)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    assert _task_threads() == []
    assert await sync_to_async(_placed)() == 1 and len(acs.requests) == 1


async def test_a_starting_worker_reads_every_live_call_from_the_provider_first(
    settings: Any,
) -> None:
    settings.ACS_API_VERSION = GA
    provider = GaCalls()  # knows no call: each one read has ended (404)
    install_client(
        GaCallAutomationClient(
            "endpoint=https://acs.test/;accesskey=cHc=",
            api_version=GA,
            transport=httpx.MockTransport(provider),
            retry=NO_RETRY,
        )
    )
    call = await sync_to_async(CallFactory.create)(state=CallState.ESTABLISHED)
    quiet = timezone.now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS + 1)
    await sync_to_async(Call.objects.filter(pk=call.pk).update)(updated_at=quiet)
    worker = asyncio.create_task(run_worker_process(task_interval=0.01))
    try:
        async with asyncio.timeout(20):
            while not _task_threads():  # the task thread starts once the reads are done
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
        install_client(None)
    await sync_to_async(call.refresh_from_db)()
    assert call.state == CallState.TERMINATED
    assert provider.requests[0] == f"GET /calling/callConnections/{call.provider_call_id}"


async def test_a_worker_runs_its_tasks_on_each_of_its_threads_and_stops_them_all(
    pool: Any, acs: CountingProvider, settings: Any
) -> None:
    settings.WORKER_TASK_THREADS = 2
    await sync_to_async(start_callout)(3)
    worker = asyncio.create_task(run_worker_process(task_interval=0.01))
    try:
        assert await asyncio.to_thread(acs.placed.wait, 20)
        assert len(_task_threads()) == 2
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    assert _task_threads() == []
    assert await sync_to_async(_placed)() == 3 and len(acs.requests) == 3  # each once


@pytest.mark.django_db
def test_one_failing_sweep_does_not_keep_the_others_from_running(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran = []

    def broken() -> int:
        raise RuntimeError("the database went away")

    def working() -> int:
        ran.append("working")
        return 2

    monkeypatch.setattr(
        worker_module,
        "SWEEPS",
        ((broken, logging.WARNING, "%d"), (working, logging.INFO, "Did %d.")),
    )
    with caplog.at_level(logging.INFO, logger="callouts.worker"):
        worker_module.after_ring_sweep()
    assert ran == ["working"]
    assert "The sweep broken failed." in caplog.text and "Did 2." in caplog.text
