"""What the tests of both dialects' clients share: a provider at the transport that answers
with queued replies and records each request, the connection string and the moment the
requests are signed at, and the signature a request signed then must carry."""

import base64
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from calls.signing import compute_signature, content_hash

CONNECTION_STRING = "endpoint=https://contoso.communication.azure.com/;accesskey=pw=="
KEY = base64.b64decode("pw==")
BASE = "https://contoso.communication.azure.com"
NOW = datetime(2022, 4, 13, 18, 9, 12, tzinfo=UTC)
NOW_HTTP = "Wed, 13 Apr 2022 18:09:12 GMT"
REQUEST_ID = uuid.UUID("9d3c2ef0-4d2b-4bd6-9a7e-1f0a5b6c7d8e")
FIRST_SENT = datetime(2022, 4, 13, 18, 9, 0, tzinfo=UTC)

Reply = httpx.Response | type[httpx.TransportError]


@dataclass
class FakeProvider:
    """Answers with queued replies (the last one repeats) and records what it was sent."""

    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)
    closed: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, httpx.Response):
            return reply
        raise reply("simulated", request=request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def expected_authorization(request: httpx.Request, host: str) -> str:
    signed = (
        f"{request.method}\n{request.url.raw_path.decode()}\n"
        f"{NOW_HTTP};{host};{content_hash(request.content)}"
    )
    return (
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
        f"&Signature={compute_signature(KEY, signed)}"
    )


def call_arguments(*, targets: list[str], callback_url: str) -> dict[str, Any]:
    """create_call's arguments as both dialects' tests give them, for a call to `targets`."""
    return {
        "source": "8:acs:app",
        "targets": targets,
        "callback_url": callback_url,
        "subject": "Incident 7",
        "caller_id": "+15550199",
        "subscribe_participants": True,
        "subscribe_tones": True,
        "request_id": REQUEST_ID,
        "first_sent": FIRST_SENT,
    }
