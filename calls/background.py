"""Background work inside each ASGI process: storing and applying provider callbacks, and the
ring timeout.

with_background_work (config/asgi.py) builds this process's CallbackPipeline and puts its `store`
into every HTTP request's scope under CALLBACK_SINK, as Channels' middleware puts the user there;
the callback view takes it from there (callback_sink) and hands each body to it. On one
long-lived thread with its own database connection, the pipeline verifies and stores every
callback that arrived meanwhile in one transaction (a group commit: one connection and one
INSERT for many requests, where each request would otherwise open a connection of its own) and
answers them; on a second such thread it applies what is stored
(calls.services.apply_pending_events). Storing never waits for an apply in progress: the
provider sends a call's next event only once the last one is answered, so a call's end
(Terminating, then Terminated) would otherwise wait for two applies before it is even stored. Every
RING_SWEEP_SECONDS the sweeper gives up on unanswered phones (on GA reading their calls from
the provider first), reads calls whose ending is overdue, makes key requests and plays welcome
prompts lost with their process, and also wakes the pipeline, which
applies events any process stored but did not apply (it crashed, say). Several processes may
run all this at once: the services lock each call. No task queue is needed.
"""

import asyncio
import concurrent.futures
import contextvars
import functools
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from rest_framework.request import Request

from calls.errors import CallbackNotStored
from calls.services import apply_pending_events, expire_unanswered, store_callbacks
from calls.services.applying import has_pending_events
from calls.services.ingest import CallbackOutcome, CallbackSink, Delivery, store_and_apply
from calls.services.keys import listen_again_for_keys
from calls.services.reconciling import reconcile_stuck_calls
from calls.services.welcome import RunAside, play_lost_welcome_prompts

logger = logging.getLogger(__name__)
ASGIApp = Any
T = TypeVar("T")
# How long a callback request waits to be stored before it is answered 503.
STORE_TIMEOUT_SECONDS = 15
# The scope key under which with_background_work hands each HTTP request the process's sink.
CALLBACK_SINK = "calls.callback_sink"


Waiting = tuple[Delivery, concurrent.futures.Future[CallbackOutcome]]


class Applier(Protocol):
    """Applies stored events, handing follow-up provider requests to `run_aside`."""

    def __call__(self, *, run_aside: RunAside) -> object: ...


class CallbackPipeline:
    """Stores callbacks in batches and applies them, on this process's loop, with a thread
    for each.

    `store` verifies and stores a batch (calls.services.store_callbacks); `apply` applies
    stored events (calls.services.apply_pending_events), or is None where workers apply.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        store: Callable[[list[Delivery]], list[CallbackOutcome]],
        apply: Applier | None,
        store_timeout: float = STORE_TIMEOUT_SECONDS,
    ) -> None:
        self._loop = loop
        self._store_batch = store
        self._apply = apply
        self._store_timeout = store_timeout
        self._waiting: list[Waiting] = []
        self._arrived = asyncio.Event()  # callbacks wait to be stored
        self._wake = asyncio.Event()  # stored events may wait to be applied
        self._wake.set()  # Catch up with whatever was stored while no process applied it.
        self._store_thread = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="callbacks"
        )
        self._apply_thread = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="callbacks-apply"
        )
        self._aside: set[asyncio.Task[None]] = set()

    def store(self, delivery: Delivery) -> CallbackOutcome:
        """From a request thread: wait until `delivery` is stored or refused."""
        done: concurrent.futures.Future[CallbackOutcome] = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._enqueue, (delivery, done))
        try:
            return done.result(timeout=self._store_timeout)
        except TimeoutError:
            # It may still be stored; a redelivery of it would then be stored once.
            return CallbackNotStored("The server is busy; deliver the callback again.")

    def run_aside(self, work: Callable[[], None]) -> None:
        """From any thread: run `work` (a provider request, say) on another thread, so that it
        does not hold up storing callbacks."""
        self._loop.call_soon_threadsafe(self._start_aside, work)

    def _start_aside(self, work: Callable[[], None]) -> None:
        # database_sync_to_async: that thread's connection is closed after, as after a request.
        task = self._loop.create_task(database_sync_to_async(work, thread_sensitive=False)())
        self._aside.add(task)  # The loop keeps only weak references to tasks.
        task.add_done_callback(self._finish_aside)

    def _finish_aside(self, task: asyncio.Task[None]) -> None:
        self._aside.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Work after applying events failed.", exc_info=task.exception())

    @property
    def waiting(self) -> int:
        """How many callbacks wait for the next batch."""
        return len(self._waiting)

    def wake(self) -> None:
        self._loop.call_soon_threadsafe(self._wake.set)

    def _enqueue(self, waiting: Waiting) -> None:
        self._waiting.append(waiting)
        self._arrived.set()

    async def run(self) -> None:
        await asyncio.gather(self._store_forever(), self._apply_forever())

    async def _store_forever(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                await self._store(batch)
                self._wake.set()

    async def _apply_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._apply is None:
                continue
            try:
                apply = functools.partial(self._apply, run_aside=self.run_aside)
                await self._on_thread(self._apply_thread, apply)
            except Exception:  # Stored events stay stored; try again shortly.
                logger.exception("Applying stored provider events failed; will retry.")
                await asyncio.sleep(1)
                self._wake.set()

    async def _store(self, batch: list[Waiting]) -> None:
        try:
            deliveries = [delivery for delivery, _ in batch]
            outcomes = await self._on_thread(self._store_thread, self._store_batch, deliveries)
        except Exception:  # Nothing was stored (one transaction); the next batch may do better.
            logger.exception("Storing %d provider callbacks failed.", len(batch))
            refusal = CallbackNotStored("Could not store the callback; deliver it again.")
            for _, done in batch:
                done.set_result(refusal)
        else:
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                done.set_result(outcome)

    async def _on_thread(
        self, thread: concurrent.futures.ThreadPoolExecutor, function: Callable[..., T], *args: Any
    ) -> T:
        # Each pipeline thread keeps its database connection between batches (unlike
        # database_sync_to_async) and drops it only after an error, in case it is broken.
        def run() -> T:
            try:
                return function(*args)
            except Exception:
                connection.close()
                raise

        return await sync_to_async(run, thread_sensitive=False, executor=thread)()


# Work a worker process adds to each ring sweep (the call-outs' recovery, say).
AfterSweep = Callable[[], object]


async def sweep_forever(
    interval: float, pipeline: CallbackPipeline, after_sweep: AfterSweep | None = None
) -> None:
    while True:
        await asyncio.sleep(interval)
        pipeline.wake()
        try:
            expired = await database_sync_to_async(expire_unanswered)()
            await database_sync_to_async(reconcile_stuck_calls)()
            await database_sync_to_async(listen_again_for_keys)()
            await database_sync_to_async(play_lost_welcome_prompts)()
            if after_sweep is not None:
                await database_sync_to_async(after_sweep)()
        except Exception:  # The sweeper must outlive a bad moment (a locked database, say).
            logger.exception("The ring sweep (or the work after it) failed; will try again.")
        else:
            if expired:
                logger.info("Marked %d unanswered participants as failed.", expired)


def _start(
    loop: asyncio.AbstractEventLoop, *, apply: bool, after_sweep: AfterSweep | None = None
) -> tuple[CallbackPipeline, list[asyncio.Task[None]]]:
    pipeline = CallbackPipeline(
        loop, store=store_callbacks, apply=apply_pending_events if apply else None
    )
    # A fresh context: the tasks must not inherit the request that happened to start them.
    context = contextvars.Context()
    tasks = [loop.create_task(pipeline.run(), context=context)]
    if settings.RING_SWEEP_SECONDS:
        sweep = sweep_forever(settings.RING_SWEEP_SECONDS, pipeline, after_sweep)
        tasks.append(loop.create_task(sweep, context=context))
    return pipeline, tasks


def with_background_work(app: ASGIApp) -> ASGIApp:
    """Start the callback pipeline and the sweeper on the serving loop with the first HTTP
    request (daphne runs no ASGI lifespan), and hand the pipeline to every HTTP request in its
    scope (CALLBACK_SINK). With APPLY_IN_WORKER the process only stores callbacks;
    `manage.py run_worker` applies them."""
    tasks: list[asyncio.Task[None]] = []  # The loop keeps only weak references to tasks.
    pipeline: CallbackPipeline | None = None

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal pipeline
        if scope["type"] == "http":
            if pipeline is None:
                loop = asyncio.get_running_loop()
                pipeline, running = _start(loop, apply=not settings.APPLY_IN_WORKER)
                tasks.extend(running)
            scope = {**scope, CALLBACK_SINK: pipeline.store}
        await app(scope, receive, send)

    return wrapped


def callback_sink(request: HttpRequest | Request) -> CallbackSink:
    """Where the callback view hands this request's callback: the sink with_background_work
    put in its scope, or store_and_apply where there is none (the test client, WSGI)."""
    scope = getattr(request, "scope", None)  # only an ASGI request has one
    sink: CallbackSink = scope.get(CALLBACK_SINK, store_and_apply) if scope else store_and_apply
    return sink


async def run_worker(
    poll_seconds: float, *, apply: bool = True, after_sweep: AfterSweep | None = None
) -> None:
    """A worker process's life: apply what web processes stored (polling, as they may run on
    other machines; unless `apply` is off, where web processes apply), sweep unanswered phones
    and run `after_sweep` after each sweep. Runs until cancelled."""
    pipeline, background = _start(asyncio.get_running_loop(), apply=apply, after_sweep=after_sweep)
    try:
        while True:
            await asyncio.sleep(poll_seconds)
            if apply and await database_sync_to_async(has_pending_events)():
                pipeline.wake()
    finally:
        for task in background:
            task.cancel()
