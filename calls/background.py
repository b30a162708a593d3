"""Background work inside each ASGI process: applying stored callbacks, and the ring timeout.

The callback view answers the provider as soon as events are stored; this process's applier
then applies them in order (calls.services.apply_pending_events) without holding the answer
up. Every RING_SWEEP_SECONDS the sweeper gives up on unanswered phones and also wakes the
applier, which picks up events any process stored but did not apply (it crashed, say). Both are
safe to run in several processes at once: the services lock each call. No task queue is needed.
"""

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from calls.services import apply_pending_events, expire_unanswered
from calls.services.ingest import has_pending_events, use_background_applier

logger = logging.getLogger(__name__)
ASGIApp = Any


class Applier:
    """Applies stored events on this process's loop; woken from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._wake = asyncio.Event()
        self._wake.set()  # Catch up with whatever was stored while no process applied it.

    def wake(self) -> None:
        self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await database_sync_to_async(apply_pending_events)()
            except Exception:  # Stored events stay stored; try again shortly.
                logger.exception("Applying stored provider events failed; will retry.")
                await asyncio.sleep(1)
                self._wake.set()


async def sweep_forever(interval: float, applier: Applier) -> None:
    while True:
        await asyncio.sleep(interval)
        applier.wake()
        try:
            expired = await database_sync_to_async(expire_unanswered)()
        except Exception:  # The sweeper must outlive a bad moment (a locked database, say).
            logger.exception("Sweeping unanswered participants failed; will try again.")
        else:
            if expired:
                logger.info("Marked %d unanswered participants as failed.", expired)


def _start(loop: asyncio.AbstractEventLoop) -> tuple[Applier, list[asyncio.Task[None]]]:
    applier = Applier(loop)
    tasks = [loop.create_task(applier.run())]
    if settings.RING_SWEEP_SECONDS:
        tasks.append(loop.create_task(sweep_forever(settings.RING_SWEEP_SECONDS, applier)))
    return applier, tasks


def with_background_work(app: ASGIApp) -> ASGIApp:
    """Start the applier and the sweeper on the serving loop with the first HTTP request
    (daphne runs no ASGI lifespan). With APPLY_IN_WORKER the process only stores events."""
    tasks: list[asyncio.Task[None]] = []  # The loop keeps only weak references to tasks.
    started = False

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal started
        if not started and scope["type"] == "http":
            started = True
            if settings.APPLY_IN_WORKER:
                use_background_applier(lambda: None)  # `manage.py run_worker` applies them.
            else:
                applier, running = _start(asyncio.get_running_loop())
                tasks.extend(running)
                use_background_applier(applier.wake)
        await app(scope, receive, send)

    return wrapped


async def run_worker(poll_seconds: float) -> None:
    """A worker process's life: apply what web processes stored (polling, as they may run on
    other machines) and sweep unanswered phones. Runs until cancelled."""
    applier, background = _start(asyncio.get_running_loop())
    try:
        while True:
            await asyncio.sleep(poll_seconds)
            if await database_sync_to_async(has_pending_events)():
                applier.wake()
    finally:
        for task in background:
            task.cancel()
