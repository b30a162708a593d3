"""ACS HMAC-SHA256 request signing and connection strings, as pure functions.

No HTTP library here: `calls.client` feeds these functions the request exactly as it will go on
the wire (reference: shared/reference/acs-call-automation.md, section 2).
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"


class ConnectionStringError(ValueError):
    """The connection string is not `endpoint=<url>;accesskey=<base64 key>`.

    Messages never quote the access key: they end up in logs and tracebacks.
    """


@dataclass(frozen=True)
class ConnectionString:
    endpoint: str  # scheme://authority[/path], no trailing slash
    access_key: bytes = field(repr=False)  # the decoded HMAC key


def parse_connection_string(value: str) -> ConnectionString:
    """Parse `endpoint=...;accesskey=...`; raises ConnectionStringError."""
    parts: dict[str, str] = {}
    for segment in value.split(";"):
        segment = segment.strip()
        if not segment:
            continue  # tolerate a trailing ";" as the Azure SDKs do
        name, sep, setting = segment.partition("=")  # the key's "=" padding stays in `setting`
        name = name.strip().lower()
        if not sep or not name:
            raise ConnectionStringError(
                "Connection string segments must look like name=value (segment without '=')."
            )
        if name in parts:
            raise ConnectionStringError(f"Connection string repeats {name!r}.")
        parts[name] = setting.strip()
    endpoint = parts.get("endpoint")
    key = parts.get("accesskey")
    if not endpoint:
        raise ConnectionStringError("Connection string has no endpoint=<url>.")
    if not key:
        raise ConnectionStringError("Connection string has no accesskey=<base64 key>.")
    return ConnectionString(endpoint=_check_endpoint(endpoint), access_key=_decode_key(key))


def _check_endpoint(endpoint: str) -> str:
    try:
        parts = urlsplit(endpoint)
        _ = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ConnectionStringError(f"Connection string endpoint is not a URL: {exc}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionStringError(
            f"Connection string endpoint must be an http(s) URL with a host; got {endpoint!r}."
        )
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise ConnectionStringError(
            "Connection string endpoint must not carry credentials, a query or a fragment."
        )
    return endpoint.rstrip("/")


def _decode_key(key: str) -> bytes:
    try:
        decoded = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ConnectionStringError("Connection string accesskey is not valid base64.") from None
    if not decoded:
        raise ConnectionStringError("Connection string accesskey is empty.")
    return decoded


def http_date(moment: datetime) -> str:
    """IMF-fixdate (`Wed, 13 Apr 2022 18:09:12 GMT`), locale-independent; rejects naive times."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("http_date needs an aware datetime.")
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def content_hash(body: bytes) -> str:
    """Base64 SHA-256 of the exact body bytes (the empty body has a hash too)."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def string_to_sign(
    *, method: str, path_and_query: str, date: str, host: str, body_hash: str
) -> str:
    """The three signed lines; `path_and_query` is the encoded form as sent, e.g. `/a?b=c`."""
    return f"{method.upper()}\n{path_and_query}\n{date};{host};{body_hash}"


def compute_signature(access_key: bytes, text: str) -> str:
    digest = hmac.new(access_key, text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_headers(
    *,
    access_key: bytes,
    method: str,
    path_and_query: str,
    host: str,
    body: bytes,
    now: datetime,
) -> dict[str, str]:
    """The `x-ms-date`, `x-ms-content-sha256` and `Authorization` headers for one request."""
    date = http_date(now)
    body_hash = content_hash(body)
    signature = compute_signature(
        access_key,
        string_to_sign(
            method=method, path_and_query=path_and_query, date=date, host=host, body_hash=body_hash
        ),
    )
    return {
        "x-ms-date": date,
        "x-ms-content-sha256": body_hash,
        "Authorization": f"HMAC-SHA256 SignedHeaders={SIGNED_HEADERS}&Signature={signature}",
    }
