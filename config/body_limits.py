"""How large a request body may be, decided once for every HTTP interface in the process.

A body may hold DATA_UPLOAD_MAX_MEMORY_SIZE bytes (Django's setting, 2.5 MiB by default): far
more than any form, API request, callback or emulator request needs. A multipart upload may
hold an audio prompt (calls.audio.MAX_PROMPT_BYTES) on top. A larger body is answered 413 in the
API's error shape (`too_large`).

`with_body_limit` applies the rule at the ASGI edge, ahead of Django and the embedded emulator:
Django's ASGI handler otherwise spools any body to disk before a view can look at it, and
Starlette reads the emulator's into memory whole (daphne sets no limit of its own). A body sent
without a length (chunked) is counted as it arrives. `RequestTooLarge` is the same refusal for
readers inside Django that meet a body the edge did not see (the WSGI test client).
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException

from calls.audio import MAX_PROMPT_BYTES
from config.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
TOO_LARGE = "too_large"


def body_limit(content_type: str) -> int:
    """The most bytes a body of `content_type` may hold."""
    limit: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if content_type.lower().startswith("multipart/"):
        return limit + MAX_PROMPT_BYTES
    return limit


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class RequestTooLarge(APIException):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    default_code = TOO_LARGE
    default_detail = "The request body is too large."


def with_body_limit(app: Callable[..., Awaitable[None]]) -> ASGIApp:
    """`app`, with HTTP bodies over `body_limit` answered 413 before `app` sees them."""

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        limit = body_limit(headers.get(b"content-type", b"").decode("latin-1"))
        length = headers.get(b"content-length")
        if length is not None:
            if length.isdigit() and int(length) > limit:
                await _refuse(send, limit)
            else:
                await app(scope, receive, send)  # the server delivers no more than that
            return
        buffered = await _read_at_most(receive, limit)
        if buffered is None:
            await _refuse(send, limit)
            return
        await app(scope, _replay(buffered, receive), send)

    return limited


async def _read_at_most(receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages up to its end, or None once they hold more than `limit` bytes."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client went away: let the app see that
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(error_body(TOO_LARGE, too_large_message(limit))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
