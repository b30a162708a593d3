"""Sending one webhook: a POST signed by the Standard Webhooks scheme. The only module of this
app that imports httpx (as calls/client.py is for the call provider).

The signature covers `{webhook-id}.{webhook-timestamp}.{body}` (HMAC-SHA256 with the
subscription's secret, by the `standardwebhooks` library); the timestamp is the time of this
try, so each try is signed afresh while the id and the body stay the same.
"""

import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from standardwebhooks import Webhook

TIMEOUT_SECONDS = 10.0
USER_AGENT = "IncidentReporter-Webhooks/1"


@dataclass(frozen=True)
class Sent:
    """How one try went: the receiver's status code, or why there was none."""

    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(*, secret: str, webhook_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of `body` sent at `at` (an aware datetime)."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class WebhookClient:
    """POSTs webhooks; redirects are not followed (a 3xx is a failure, as the spec advises)."""

    def __init__(
        self, *, transport: httpx.BaseTransport | None = None, timeout: float = TIMEOUT_SECONDS
    ) -> None:
        self.timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def send(self, *, url: str, secret: str, webhook_id: str, body: str, at: datetime) -> Sent:
        """POST `body` to `url`, signed for `at`. Raises nothing: failures are in the result."""
        headers = signed_headers(secret=secret, webhook_id=webhook_id, body=body, at=at)
        started = time.monotonic()
        status_code: int | None = None
        error = ""
        try:
            # Streamed, so that the receiver's answer body is never read: only its status counts.
            with self._http.stream("POST", url, content=body.encode(), headers=headers) as reply:
                status_code = reply.status_code
        except httpx.TimeoutException:
            error = f"No answer within {self.timeout:g} s."
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = round((time.monotonic() - started) * 1000)
        return Sent(status_code=status_code, error=error, duration_ms=duration_ms)


_installed: WebhookClient | None = None


def install_client(client: WebhookClient | None) -> None:
    """Send every webhook through `client` (tests give one a MockTransport); None: the default."""
    global _installed
    _installed = client


def current_client() -> WebhookClient:
    global _installed
    if _installed is None:
        _installed = WebhookClient()
    return _installed
