"""The signed, retried HTTP exchange every provider dialect's client is built on.

With the two dialect clients built on it (calls.client, calls.client_ga) and the callback-key
fetcher (calls.callback_tokens), the only app modules that import httpx. It signs each request
with the resource's access key (calls.signing), retries by calls.retry_policy, and turns
failures into the dialect-neutral ProviderError subclasses of calls.provider_types. Both dialects'
error bodies are read: `{"code","message"}` (2021 documentation) and the
`CommunicationErrorResponse` `{"error":{"code","message"}}` (2021 as observed, and GA).
"""

import logging
import time
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx
import tenacity

from calls import signing
from calls.provider_types import (
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnauthorized,
    ProviderUnavailable,
    ProviderUnreachable,
)
from calls.retry_policy import DEFAULT_RETRY, RetryPolicy, retry_after_seconds

logger = logging.getLogger("calls.client")  # one logger for every dialect's retries

RetryIf = Callable[[BaseException], bool]


def utc_now() -> datetime:
    return datetime.now(UTC)


class HmacAuth(httpx.Auth):
    """Signs each request (and each retry, with a fresh x-ms-date) as it goes on the wire."""

    requires_request_body = True

    def __init__(self, access_key: bytes, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._access_key = access_key
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(
            signing.signature_headers(
                access_key=self._access_key,
                method=request.method,
                path_and_query=request.url.raw_path.decode("ascii"),  # encoded, with the query
                host=request.headers["Host"],  # httpx drops a default port; sign what is sent
                body=request.content,
                now=self._clock(),
            )
        )
        yield request


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    logger.warning("%s; retrying in %.1f s (attempt %d)", exc, delay, state.attempt_number + 1)


class SignedHttp:
    """One resource's signed HTTP session with one `api-version`; thread-safe, pooled.

    The constructor raises ConnectionStringError (a ValueError); `request` raises ProviderError.
    """

    def __init__(
        self,
        connection_string: str,
        *,
        api_version: str,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        credentials = signing.parse_connection_string(connection_string)
        self.endpoint = credentials.endpoint
        self.api_version = api_version
        self._retry = retry
        self._sleep = sleep
        self.clock = clock
        self._backoff = tenacity.wait_exponential(
            multiplier=retry.initial_backoff, max=retry.max_backoff
        ) + tenacity.wait_random(0, retry.initial_backoff)
        self._http = httpx.Client(
            base_url=credentials.endpoint,
            auth=HmacAuth(credentials.access_key, clock=clock),
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "incident-reporter"},
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        retry_if: RetryIf,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send, retrying while `retry_if` says so and the budget lasts; every try carries the
        same `body` and `headers` (so the same repeatability pair). Raises ProviderError."""

        def should_retry(exc: BaseException) -> bool:
            retry_after = exc.retry_after if isinstance(exc, ProviderError) else None
            in_budget = retry_after is None or retry_after <= self._retry.max_retry_after
            return retry_if(exc) and in_budget

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._retry.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(should_retry),
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,  # callers see the last ProviderError, not tenacity's RetryError
        )
        return retrying(self._send, operation, method, path, body, headers)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            return exc.retry_after
        return min(self._backoff(state), self._retry.max_backoff)

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        # A path may carry a query of its own (a nextLink's): keep it, with our api-version.
        path, _, query = path.partition("?")
        params = httpx.QueryParams(query).set("api-version", self.api_version)
        try:
            response = self._http.request(method, path, params=params, json=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ProviderUnreachable(operation, _describe(exc)) from exc
        except httpx.TransportError as exc:  # read/write timeouts, dropped connections
            raise ProviderUnavailable(operation, _describe(exc)) from exc
        except httpx.HTTPError as exc:  # e.g. an undecodable response body
            raise ProviderProtocolError(operation, _describe(exc)) from exc
        if response.is_success:
            return response
        raise error_from_response(operation, response, now=self.clock())


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a dict with lower-cased keys; {} when it is empty or not a JSON object."""
    try:
        document = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both
        return {}
    if not isinstance(document, dict):
        return {}
    return {str(key).lower(): value for key, value in document.items()}


def error_from_response(
    operation: str, response: httpx.Response, *, now: datetime
) -> ProviderError:
    """The ProviderError subclass for a non-2xx response (by status), with its code, message
    and Retry-After."""
    status = response.status_code
    kind: type[ProviderError]
    if status == 429:
        kind = ProviderThrottled
    elif status >= 500 or status == 408:
        kind = ProviderUnavailable
    elif status in (401, 403):
        kind = ProviderUnauthorized
    elif status == 404:
        kind = ProviderNotFound
    elif 400 <= status < 500:
        kind = ProviderRejected
    else:
        kind = ProviderProtocolError  # 1xx/3xx: a misconfigured endpoint, most likely
    code, message = _error_details(response)
    retry_after = retry_after_seconds(response.headers.get("Retry-After"), now=now)
    return kind(operation, message, status=status, code=code, retry_after=retry_after)


def _error_details(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) from `{"code","message"}` or `{"error":{"code","message"}}`, or the text."""
    body = json_object(response)
    inner = body.get("error")
    if isinstance(inner, dict):
        body = {str(key).lower(): value for key, value in inner.items()}
    code = body.get("code")
    message = body.get("message")
    if isinstance(code, bool) or not isinstance(code, str | int):
        code = None
    if not isinstance(message, str) or not message:
        text = "" if body else response.text.strip()[:200]  # a non-JSON body, e.g. from a proxy
        message = text or response.reason_phrase or "no details"
    return (str(code) if code is not None else None), message


class SignedClient:
    """What both dialects' clients share: a SignedHttp session (`_http`, set by the client's
    constructor), closed with the client; use the client as a context manager, or close it."""

    _http: SignedHttp

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
