"""Probes. /healthz: the process is up (liveness; also the benchmarks' baseline, the cheapest
Django view). /readyz: it can do its work: the database, the channel layer and the task queue
answer (readiness), each checked at once and within READYZ_TIMEOUT_SECONDS.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from django_tasks import default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from config.errors import error_body

logger = logging.getLogger(__name__)


@login_not_required
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_safe
async def readyz(request: HttpRequest) -> JsonResponse:
    """200 with each check's result, or 503 naming the checks that failed."""
    names = list(_CHECKS)
    results = await asyncio.gather(*(_run(name, _CHECKS[name]) for name in names))
    checks = dict(zip(names, results, strict=True))
    failed = [name for name, result in checks.items() if not result["ok"]]
    if not failed:
        return JsonResponse({"status": "ready", "checks": checks})
    logger.warning("Not ready: %s failed.", ", ".join(failed), extra={"failed": failed})
    message = f"Not ready: {', '.join(failed)} failed."
    return JsonResponse(error_body("not_ready", message, checks=checks), status=503)


async def _run(name: str, check: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    try:
        await asyncio.wait_for(check(), settings.READYZ_TIMEOUT_SECONDS)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {settings.READYZ_TIMEOUT_SECONDS:g} s"}
    except Exception as exc:  # whatever it is, the answer is "not ready", never a 500
        logger.warning("Readiness check %s failed.", name, exc_info=True)
        # The exception's kind only: a probe is public, the log line has the rest.
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _query_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's connection (back to the pool, under PostgreSQL)


def _look_up_task() -> None:
    """Ask the task backend for a task that does not exist: the database backend reads its
    table to say so."""
    try:
        default_task_backend.get_result(str(uuid.uuid4()))
    except TaskResultDoesNotExist:
        pass
    finally:
        connection.close()


async def _check_database() -> None:
    # thread_sensitive=False: each check has a thread of its own, so a database that hangs
    # holds up neither the other checks nor the request's own thread.
    await sync_to_async(_query_database, thread_sensitive=False)()


async def _check_task_queue() -> None:
    await sync_to_async(_look_up_task, thread_sensitive=False)()


async def _check_channel_layer() -> None:
    """Send a message to a new channel of the configured layer and receive it back."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("No channel layer is configured.")
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "readyz.ping"})
    await layer.receive(channel)
    # The Redis pub/sub layer stays subscribed to a channel until a receive on it is
    # cancelled (how a consumer ends): cancel one, or every probe would leave one behind.
    leftover = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    leftover.cancel()
    await asyncio.gather(leftover, return_exceptions=True)


_CHECKS: dict[str, Callable[[], Awaitable[None]]] = {
    "database": _check_database,
    "channel_layer": _check_channel_layer,
    "task_queue": _check_task_queue,
}
