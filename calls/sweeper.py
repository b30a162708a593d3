"""Runs calls.services.expire_unanswered every RING_SWEEP_SECONDS inside the ASGI process.

No task queue is needed for one idempotent sweep: every daphne process may run it (the service
locks each call), and `manage.py expire_unanswered` does the same from cron where preferred.
"""

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from calls.services import expire_unanswered

logger = logging.getLogger(__name__)
ASGIApp = Any


async def sweep_forever(interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            expired = await database_sync_to_async(expire_unanswered)()
        except Exception:  # The sweeper must outlive a bad moment (a locked database, say).
            logger.exception("Sweeping unanswered participants failed; will try again.")
        else:
            if expired:
                logger.info("Marked %d unanswered participants as failed.", expired)


def with_ring_sweeper(app: ASGIApp) -> ASGIApp:
    """Start the sweep on the serving loop with the first connection (daphne runs no lifespan)."""
    task: asyncio.Task[None] | None = None

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal task
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(
                sweep_forever(settings.RING_SWEEP_SECONDS)
            )
        await app(scope, receive, send)

    return wrapped if settings.RING_SWEEP_SECONDS else app
