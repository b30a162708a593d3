"""Background tasks of the emulator: started on demand inside the running loop, cancelled together.

The app's server (daphne) runs no ASGI lifespan, so nothing may rely on a startup hook: every task
is created by the request that needs it, and `cancel_all` is the explicit shutdown.
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSet:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        # The loop keeps only weak references to tasks; this set keeps them alive until done.
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("emulator task %s failed", task.get_name(), exc_info=task.exception())

    async def cancel_all(self) -> None:
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        mine = [t for t in self._tasks if t.get_loop() is loop and t is not current]
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)
        # Tasks of another loop (an embedding test that switched loops) cannot be cancelled from
        # here; by the time that loop closed, asyncio.run had already cancelled them.
        self._tasks.clear()

    def __len__(self) -> int:
        return len(self._tasks)
