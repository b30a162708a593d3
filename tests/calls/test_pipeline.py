"""The callback pipeline: callbacks that arrive together are stored in one batch, each request
gets its own answer, and nothing blocks forever (calls/background.py)."""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import Client

from calls.background import CallbackPipeline
from calls.errors import CallbackNotStored, UnknownCall
from calls.services.ingest import CallbackOutcome, Delivery, use_callback_pipeline


def delivery(call_id: int) -> Delivery:
    return Delivery(call_id=call_id, secret="s", body=b"[]")


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


@pytest.fixture
def request_threads() -> Iterator[ThreadPoolExecutor]:
    """Stand-ins for daphne's request threads, one per concurrent callback."""
    with ThreadPoolExecutor(max_workers=16) as threads:
        yield threads


async def test_callbacks_that_arrive_together_are_stored_in_one_batch(
    request_threads: ThreadPoolExecutor,
) -> None:
    loop = asyncio.get_running_loop()
    batches: list[list[int]] = []
    applied: list[int] = []
    first_batch_may_finish = threading.Event()

    def store(deliveries: list[Delivery]) -> list[CallbackOutcome]:
        batches.append([d.call_id for d in deliveries])
        if len(batches) == 1:
            first_batch_may_finish.wait(5)
        return [UnknownCall("No such call.") if d.call_id == 7 else d.call_id for d in deliveries]

    last_apply_may_finish = threading.Event()

    def apply() -> None:
        applied.append(len(batches))
        if len(batches) == 2:
            last_apply_may_finish.wait(10)

    pipeline = CallbackPipeline(loop, store=store, apply=apply)
    running = asyncio.create_task(pipeline.run())
    try:
        requests = [loop.run_in_executor(request_threads, pipeline.store, delivery(0))]
        await until(lambda: len(batches) == 1)
        requests += [
            loop.run_in_executor(request_threads, pipeline.store, delivery(n)) for n in range(1, 10)
        ]
        await until(lambda: pipeline.waiting == 9)
        first_batch_may_finish.set()
        # The answers go out before the batch is applied: here, while that apply is stuck.
        answers = await asyncio.wait_for(asyncio.gather(*requests), 5)
        await until(lambda: len(applied) == 3)
    finally:
        last_apply_may_finish.set()
        running.cancel()

    assert batches == [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    assert answers[:7] == [0, 1, 2, 3, 4, 5, 6] and answers[8:] == [8, 9]
    assert isinstance(answers[7], UnknownCall)  # a refusal reaches only its own request
    assert applied == [0, 1, 2]  # once at start (to catch up), then after each batch


async def test_a_failed_batch_is_answered_not_stored_and_the_next_one_is_stored(
    request_threads: ThreadPoolExecutor, caplog: Any
) -> None:
    loop = asyncio.get_running_loop()
    calls = 0

    def store(deliveries: list[Delivery]) -> list[CallbackOutcome]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return [1 for _ in deliveries]

    pipeline = CallbackPipeline(loop, store=store, apply=None)
    running = asyncio.create_task(pipeline.run())
    try:
        first = await loop.run_in_executor(request_threads, pipeline.store, delivery(1))
        second = await loop.run_in_executor(request_threads, pipeline.store, delivery(1))
    finally:
        running.cancel()
    assert isinstance(first, CallbackNotStored) and second == 1
    assert "Storing 1 provider callbacks failed" in caplog.text


async def test_a_callback_not_stored_in_time_is_answered_not_stored(
    request_threads: ThreadPoolExecutor,
) -> None:
    loop = asyncio.get_running_loop()
    pipeline = CallbackPipeline(
        loop, store=lambda ds: [1 for _ in ds], apply=None, store_timeout=0.05
    )
    # Not running: nothing takes the callback.
    answer = await loop.run_in_executor(request_threads, pipeline.store, delivery(1))
    assert isinstance(answer, CallbackNotStored)


@pytest.mark.django_db
def test_the_view_answers_503_when_the_pipeline_could_not_store() -> None:
    use_callback_pipeline(lambda d: CallbackNotStored("Could not store the callback."))
    try:
        response = Client().post("/calls/1/events/s/", data="[]", content_type="application/json")
    finally:
        use_callback_pipeline(None)
    assert response.status_code == 503
    assert response.json() == {"code": "not_stored", "message": "Could not store the callback."}


async def test_work_run_aside_leaves_the_pipeline_thread_free(caplog: Any) -> None:
    loop = asyncio.get_running_loop()
    pipeline = CallbackPipeline(loop, store=lambda ds: [1 for _ in ds], apply=None)
    ran_on: list[str] = []
    pipeline.run_aside(lambda: ran_on.append(threading.current_thread().name))

    def fail() -> None:
        raise RuntimeError("the provider went away")

    pipeline.run_aside(fail)
    await until(lambda: bool(ran_on) and "Work after applying events failed" in caplog.text)
    assert ran_on[0] != threading.current_thread().name
    assert not ran_on[0].startswith("callbacks")
