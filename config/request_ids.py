"""Request ids: one per HTTP request, on every log line it causes, and carried with a provider
callback from the request that brought it to the broadcast that applying it sends.

The id lives in structlog's context variables (the JSON formatter adds it to each record, see
config.log_format); a sync view sees it too, as asgiref copies the context into its thread.
The callback pipeline stores and applies on threads of its own, with a context of their own:
there the id travels with the callback (calls.services.ingest.Delivery, then CallEvent.request_id)
and is bound again around the work done for it, and `caused_by` tells the broadcasts of an
apply which callbacks they come from (incidents.events logs and times each).
"""

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

HEADER = "X-Request-ID"
# What an incoming X-Request-ID must look like to be kept (a UUID, a proxy's hex id, a
# trace id): anything else, or a longer one, is replaced, so that it cannot forge log lines.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
logger = logging.getLogger("config.requests")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The incoming id if it is sane, else a new one."""
    if header and _SANE.fullmatch(header):
        return header
    return new_request_id()


# The same id as structlog's context holds for the log lines, readable at no cost (structlog's
# get_contextvars copies the whole context): broadcasts read it for every event they queue.
_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id bound to this context (a request's, or a callback's being handled), or ""."""
    return _request_id.get()


@contextmanager
def bound_request_id(request_id: str) -> Iterator[None]:
    """Give this block's log lines (and current_request_id) `request_id`; none if empty."""
    if not request_id:
        yield
        return
    token = _request_id.set(request_id)
    try:
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            yield
    finally:
        _request_id.reset(token)


@dataclass(frozen=True)
class Cause:
    """The request a change comes from; for a provider callback, also when it arrived."""

    request_id: str
    ingested_at: datetime | None = None


_applying: ContextVar[tuple[Cause, ...]] = ContextVar("applying_callbacks", default=())


@contextmanager
def caused_by(causes: Sequence[Cause]) -> Iterator[None]:
    """Mark what this block broadcasts as caused by the callbacks of `causes` (an apply)."""
    token = _applying.set(tuple(causes))
    try:
        yield
    finally:
        _applying.reset(token)


def current_causes() -> tuple[Cause, ...]:
    """The callbacks being applied (caused_by), else this context's request, else none."""
    applying = _applying.get()
    if applying:
        return applying
    request_id = current_request_id()
    return (Cause(request_id),) if request_id else ()


class RequestIdMiddleware:
    """Give each request its id (a sane incoming X-Request-ID, else a new one), answer it in
    the same header, and log one line per request. First in MIDDLEWARE: every other
    middleware's lines carry it. Sync and async, so it never costs an ASGI request a thread."""

    sync_capable = True
    async_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        request_id = request_id_from(request.headers.get(HEADER))
        started = time.perf_counter()
        with bound_request_id(request_id):
            response = cast(HttpResponseBase, self.get_response(request))
            _finish(request, response, request_id, started)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request.headers.get(HEADER))
        started = time.perf_counter()
        with bound_request_id(request_id):
            answered = await cast(Awaitable[HttpResponseBase], self.get_response(request))
            _finish(request, answered, request_id, started)
        return answered


def _finish(
    request: HttpRequest, response: HttpResponseBase, request_id: str, started: float
) -> None:
    response[HEADER] = request_id
    path = without_url_secret(request, request.path)
    logger.info(
        "%s %s %s",
        request.method,
        path,
        response.status_code,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


def without_url_secret(request: HttpRequest, text: str) -> str:
    """`text` with the secret of the request's callback URL (its only credential, 2021)
    replaced by "<secret>"."""
    match = request.resolver_match
    secret = match.kwargs.get("secret") if match is not None else None
    if isinstance(secret, str) and secret:
        return text.replace(f"/{secret}/", "/<secret>/")
    return text
