"""The callback pipeline: callbacks that arrive together are stored in one batch, each request
gets its own answer, and nothing blocks forever (calls/background.py)."""

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application

from calls.background import CALLBACK_SINK, CallbackPipeline
from calls.errors import CallbackNotStored, UnknownCall
from calls.services.ingest import CallbackOutcome, CallbackSink, Delivery
from calls.services.welcome import RunAside
from tests.provider_callbacks import signed


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
    applied: list[int] = []  # how many batches were stored when each apply started
    first_batch_may_finish = threading.Event()
    apply_may_finish = threading.Event()

    def store(deliveries: list[Delivery]) -> list[CallbackOutcome]:
        batches.append([d.call_id for d in deliveries])
        if len(batches) == 1:
            first_batch_may_finish.wait(5)
        return [UnknownCall("No such call.") if d.call_id == 7 else d.call_id for d in deliveries]

    def apply(*, run_aside: RunAside) -> None:
        applied.append(len(batches))
        if len(applied) == 2:
            apply_may_finish.wait(10)  # stuck applying after the first batch

    pipeline = CallbackPipeline(loop, store=store, apply=apply)
    running = asyncio.create_task(pipeline.run())
    try:
        await until(lambda: applied == [0])  # at start, to catch up
        requests = [loop.run_in_executor(request_threads, pipeline.store, delivery(0))]
        await until(lambda: len(batches) == 1)
        requests += [
            loop.run_in_executor(request_threads, pipeline.store, delivery(n)) for n in range(1, 10)
        ]
        await until(lambda: pipeline.waiting == 9)
        first_batch_may_finish.set()
        await until(lambda: len(applied) == 2)
        # The second batch is stored and answered while the first one's apply is stuck.
        answers = await asyncio.wait_for(asyncio.gather(*requests), 5)
        assert len(applied) == 2 and len(batches) == 2
        apply_may_finish.set()
        await until(lambda: applied[-1] == 2)  # an apply after the second batch, too
    finally:
        first_batch_may_finish.set()
        apply_may_finish.set()
        running.cancel()

    assert batches == [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]
    assert answers[:7] == [0, 1, 2, 3, 4, 5, 6] and answers[8:] == [8, 9]
    assert isinstance(answers[7], UnknownCall)  # a refusal reaches only its own request


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


async def post_callback(path: str, body: bytes, sink: CallbackSink) -> tuple[int, Any]:
    """POST through Django's ASGI handler with `sink` in the scope, as with_background_work
    hands the process's pipeline to every HTTP request."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            *((name.lower().encode(), value.encode()) for name, value in signed().items()),
        ],
        CALLBACK_SINK: sink,
    }
    communicator = ApplicationCommunicator(get_asgi_application(), scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(5)
    answer = await communicator.receive_output(5)
    await communicator.wait(5)
    return start["status"], json.loads(answer["body"])


async def test_the_view_hands_each_callback_to_the_sink_its_server_gave_it() -> None:
    handed: list[Delivery] = []

    def sink(delivery: Delivery) -> CallbackOutcome:
        handed.append(delivery)
        return 3

    answer = await post_callback("/calls/1/events/s/", b"[]", sink)
    assert answer == (200, {"received": 3})
    assert [(d.call_id, d.secret, d.body) for d in handed] == [(1, "s", b"[]")]
    assert handed[0].request_id and handed[0].ingested_at is not None  # README "Operability"


async def test_the_view_answers_503_when_the_pipeline_could_not_store() -> None:
    def sink(delivery: Delivery) -> CallbackOutcome:
        return CallbackNotStored("Could not store the callback.")

    answer = await post_callback("/calls/1/events/s/", b"[]", sink)
    assert answer == (503, {"code": "not_stored", "message": "Could not store the callback."})


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
