"""A test-only ACS HMAC signer, written from the reference (section 2) apart from the emulator.

The app's own client is written elsewhere; these tests sign with this small httpx.Auth instead.
"""

import base64
import hashlib
import hmac
from collections.abc import Generator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx


def rfc1123(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def compute_signature(access_key: str, string_to_sign: str) -> str:
    key = base64.b64decode(access_key)
    digest = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sha256_b64(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


class HmacAuth(httpx.Auth):
    """Signs like the SDKs: x-ms-date, host and x-ms-content-sha256 over method + raw path."""

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        *,
        date: datetime | None = None,
        date_header: str = "x-ms-date",
        content_hash: str | None = None,
    ) -> None:
        self.access_key = access_key
        self.date = date
        self.date_header = date_header
        self.content_hash = content_hash

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        date = rfc1123(self.date or datetime.now(UTC))
        content_hash = self.content_hash or sha256_b64(request.content)
        host = request.url.netloc.decode("ascii")
        target = request.url.raw_path.decode("ascii")
        to_sign = f"{request.method}\n{target}\n{date};{host};{content_hash}"
        signature = compute_signature(self.access_key, to_sign)
        request.headers[self.date_header] = date
        request.headers["x-ms-content-sha256"] = content_hash
        request.headers["Authorization"] = (
            f"HMAC-SHA256 SignedHeaders={self.date_header};host;x-ms-content-sha256"
            f"&Signature={signature}"
        )
        yield request
