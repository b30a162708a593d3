"""The call provider's HTTP client, and the only app module that imports httpx.

It speaks the 2021 Call Automation preview (`/calling/calls`, api-version 2021-04-15-preview1;
reference: shared/reference/acs-call-automation.md, sections 1 and 2). Its operations, results and
errors are dialect-neutral, so the later `/calling/callConnections` dialect can sit beside it
without the rest of the app knowing which one is on the wire.

Identifiers are the app's raw strings: "+E164" for phone numbers and "8:..." for ACS users.
"""

import logging
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx
import tenacity

from calls import signing
from calls.provider_types import (
    CallLeg,
    MediaOperation,
    OperationStatus,
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnauthorized,
    ProviderUnavailable,
    ProviderUnreachable,
)
from calls.retry_policy import (
    DEFAULT_RETRY,
    RetryPolicy,
    never_arrived,
    retry_after_seconds,
    transient,
)
from calls.wire import call_path, non_empty, wire_identifier, wire_phone_number, wire_targets

API_VERSION = "2021-04-15-preview1"

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --- Signing -------------------------------------------------------------------------------


class HmacAuth(httpx.Auth):
    """Signs each request (and each retry, with a fresh x-ms-date) as it goes on the wire."""

    requires_request_body = True

    def __init__(self, access_key: bytes, *, clock: Callable[[], datetime] = _utc_now) -> None:
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


# --- Retries (the policy: calls.retry_policy) ----------------------------------------------


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    delay = state.next_action.sleep if state.next_action is not None else 0.0
    logger.warning("%s; retrying in %.1f s (attempt %d)", exc, delay, state.attempt_number + 1)


# --- The client ----------------------------------------------------------------------------


class CallAutomationClient:
    """Synchronous client for one provider resource; close it, or use it as a context manager.

    Every method raises ProviderError subclasses for provider and network failures, and
    ValueError (InvalidIdentifier among them) for bad arguments, before sending anything.
    """

    def __init__(
        self,
        connection_string: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        credentials = signing.parse_connection_string(connection_string)
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Retry choices, per operation:
    # - create_call: every transient failure. Safe only because each attempt carries the
    #   caller's Repeatability-Request-ID/-First-Sent, so the provider dials at most once. (The
    #   emulator and today's ACS honour them; the 2021 preview documentation never mentions them.)
    # - hang_up, cancel_media, remove_participant: every transient failure. Repeating them is
    #   harmless (a repeat of one that took effect answers 404), and giving up leaves a phone
    #   ringing or a prompt looping.
    # - play_audio: every transient failure. The worst a repeat does is queue the prompt twice
    #   (results carry our operation context either way); not retrying leaves the call silent.
    # - invite_participants: only when the request certainly never arrived (no connection, or
    #   429). A repeat of an invite that took effect rings the person a second time, and the
    #   preview API has no repeatability headers for it; the InviteResult event settles the rest.

    def create_call(
        self,
        *,
        source: str,
        targets: Sequence[str],
        callback_url: str,
        subject: str = "",
        caller_id: str | None,
        subscribe_participants: bool,
        subscribe_tones: bool,
        request_id: uuid.UUID,
        first_sent: datetime,
    ) -> CallLeg:
        """Dial `targets`; events go to `callback_url`. Persist `request_id` and `first_sent`
        before the first try and pass the same values and arguments on any later try, so the
        provider can tell a repeat from a new call; repeats are only recognised for about five
        minutes after `first_sent` (later ones are refused). Raises ProviderError, ValueError."""
        if not callback_url.startswith(("https://", "http://")):
            raise ValueError("callback_url must be an absolute http(s) URL.")
        events = [
            ("participantsUpdated", subscribe_participants),
            ("dtmfReceived", subscribe_tones),
        ]
        body: dict[str, Any] = {
            "source": wire_identifier(source),
            "targets": wire_targets(targets),
            "subject": subject,
            "callbackUri": callback_url,
            "requestedModalities": ["audio"],
            "requestedCallEvents": [name for name, wanted in events if wanted],
        }
        if caller_id is not None:
            body["alternateCallerId"] = wire_phone_number(caller_id)
        headers = {
            "Repeatability-Request-ID": str(request_id),
            "Repeatability-First-Sent": signing.http_date(first_sent),
        }
        response = self._request(
            "create_call", "POST", "/calling/calls", body=body, headers=headers, retry_if=transient
        )
        call_id = _json_object(response).get("calllegid")
        if not isinstance(call_id, str) or not call_id:
            raise ProviderProtocolError(
                "create_call", "success without a callLegId", status=response.status_code
            )
        return CallLeg(call_id=call_id)

    def hang_up(self, call_id: str) -> None:
        """Hang up the app's call leg. Raises ProviderError (ProviderNotFound once it is gone)."""
        self._request("hang_up", "POST", call_path(call_id, "Hangup"), retry_if=transient)

    def play_audio(
        self,
        call_id: str,
        *,
        audio_url: str,
        loop: bool,
        operation_context: str,
        audio_id: str | None = None,
    ) -> MediaOperation:
        """Play a WAV file to the call; the result arrives as a PlayResult event carrying
        `operation_context`. `audio_id` lets the provider cache the file: change it whenever the
        content at `audio_url` changes. Raises ProviderError, ValueError."""
        body: dict[str, Any] = {
            "audioFileUri": audio_url,
            "loop": loop,
            "operationContext": non_empty("operation_context", operation_context),
        }
        if audio_id is not None:
            body["resourceId"] = audio_id
        response = self._request(
            "play_audio", "POST", call_path(call_id, "PlayAudio"), body=body, retry_if=transient
        )
        return _media_operation(response, operation_context)

    def cancel_media(self, call_id: str, *, operation_context: str) -> MediaOperation:
        """Stop any playing or queued media; a stopped play reports PlayResult CANCELLED.
        Raises ProviderError, ValueError."""
        body = {"operationContext": non_empty("operation_context", operation_context)}
        path = call_path(call_id, "CancelMediaProcessing")
        response = self._request("cancel_media", "POST", path, body=body, retry_if=transient)
        return _media_operation(response, operation_context)

    def invite_participants(
        self,
        call_id: str,
        *,
        targets: Sequence[str],
        operation_context: str,
        caller_id: str | None = None,
    ) -> None:
        """Ring more people into the call; the outcome arrives as an InviteResult event. A
        ProviderUnavailable that is not ProviderUnreachable means the invite may have gone out.
        Raises ProviderError, ValueError."""
        body: dict[str, Any] = {
            "participants": wire_targets(targets),
            "operationContext": non_empty("operation_context", operation_context),
        }
        if caller_id is not None:
            body["alternateCallerId"] = wire_phone_number(caller_id)
        path = call_path(call_id, "participants")
        self._request("invite_participants", "POST", path, body=body, retry_if=never_arrived)

    def remove_participant(self, call_id: str, participant_id: str) -> None:
        """Drop one participant (the id from a ParticipantsUpdated roster). Raises ProviderError."""
        path = call_path(call_id, "participants", non_empty("participant_id", participant_id))
        self._request("remove_participant", "DELETE", path, retry_if=transient)

    def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        retry_if: Callable[[BaseException], bool],
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
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
        try:
            response = self._http.request(
                method, path, params={"api-version": API_VERSION}, json=body, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ProviderUnreachable(operation, _describe(exc)) from exc
        except httpx.TransportError as exc:  # read/write timeouts, dropped connections
            raise ProviderUnavailable(operation, _describe(exc)) from exc
        except httpx.HTTPError as exc:  # e.g. an undecodable response body
            raise ProviderProtocolError(operation, _describe(exc)) from exc
        if response.is_success:
            return response
        raise _error_from_response(operation, response, now=self._clock())


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a dict with lower-cased keys; {} when it is empty or not a JSON object."""
    try:
        document = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both
        return {}
    if not isinstance(document, dict):
        return {}
    return {str(key).lower(): value for key, value in document.items()}


_WIRE_STATUSES = {
    "notstarted": OperationStatus.NOT_STARTED,
    "running": OperationStatus.RUNNING,
    "completed": OperationStatus.COMPLETED,
    "failed": OperationStatus.FAILED,
}


def _media_operation(response: httpx.Response, sent_context: str) -> MediaOperation:
    # Lenient: the request was accepted, so an odd body must not make the caller think it failed.
    body = _json_object(response)
    operation_id = body.get("id", body.get("operationid"))  # renamed in late 2021
    status = body.get("status")
    context = body.get("operationcontext")
    if isinstance(status, str):
        status = _WIRE_STATUSES.get(status.lower(), OperationStatus.UNKNOWN)
    return MediaOperation(
        operation_id=operation_id if isinstance(operation_id, str) else None,
        status=status if isinstance(status, OperationStatus) else OperationStatus.UNKNOWN,
        operation_context=context if isinstance(context, str) and context else sent_context,
    )


def _error_from_response(
    operation: str, response: httpx.Response, *, now: datetime
) -> ProviderError:
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
    body = _json_object(response)
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
