"""ACS HMAC-SHA256 request authentication (reference section 2), seen from the server side."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from starlette.types import Scope

SCHEME = "HMAC-SHA256"
CONTENT_HASH_HEADER = "x-ms-content-sha256"
# Older SDKs signed `Date`; current ones sign `x-ms-date`. Both are accepted, x-ms-date first.
DATE_HEADERS = ("x-ms-date", "date")


class SignatureError(Exception):
    """The request is not signed correctly; the message says why (the emulator is a dev tool)."""


def content_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def hmac_sha256(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def string_to_sign(method: str, path_and_query: str, signed_values: Sequence[str]) -> str:
    return f"{method.upper()}\n{path_and_query}\n{';'.join(signed_values)}"


def generate_access_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def request_target(scope: Scope) -> str:
    """Path plus query exactly as on the wire, which is what the client signed.

    `raw_path` keeps the mount prefix and the client's percent-encoding; `path` is only a fallback
    for servers that omit it (it is optional in the ASGI spec).
    """
    raw_path: bytes | None = scope.get("raw_path")
    if raw_path:
        path = raw_path.decode("latin-1")
    else:
        path = quote(_full_path(scope), safe="/:@!$&'()*+,;=-._~")
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


def _full_path(scope: Scope) -> str:
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    # Starlette mounts keep the full path; older servers strip the root path from it.
    return path if path.startswith(root_path) else root_path + path


@dataclass(frozen=True)
class SignedRequest:
    method: str
    target: str  # path and query as on the wire
    headers: Mapping[str, str]  # case-insensitive, like starlette's Headers
    body: bytes


def verify(
    request: SignedRequest,
    key: bytes,
    now: datetime,
    max_skew: timedelta,
    *,
    host_suffix: str = "",
) -> None:
    """Check the Authorization header, the content hash and the date; raise SignatureError.

    With a `host_suffix` (a mount prefix), a signature over "host" + suffix is accepted too: the
    GA SDK signs its endpoint without the scheme as the host, path included.
    """
    signed_headers, signature = _parse_authorization(request.headers.get("authorization"))
    values = [_header(request.headers, name) for name in signed_headers]
    if not hmac.compare_digest(
        _header(request.headers, CONTENT_HASH_HEADER), content_hash(request.body)
    ):
        raise SignatureError("x-ms-content-sha256 does not match the SHA-256 of the body")
    _check_date(_signed_date(request.headers, signed_headers), now, max_skew)
    host_at = signed_headers.index("host")
    hosts = [values[host_at]] + ([values[host_at] + host_suffix] if host_suffix else [])
    for host in hosts:
        values[host_at] = host
        expected = hmac_sha256(key, string_to_sign(request.method, request.target, values))
        if hmac.compare_digest(expected, signature):
            return
    raise SignatureError(
        "the signature does not match (string signed: method, path?query, headers)"
    )


def _parse_authorization(value: str | None) -> tuple[list[str], str]:
    if not value:
        raise SignatureError("the Authorization header is missing")
    scheme, _, params = value.partition(" ")
    if scheme.upper() != SCHEME:
        raise SignatureError(f"the Authorization scheme must be {SCHEME}")
    fields: dict[str, str] = {}
    for part in params.strip().split("&"):
        # Split on the first "=" only: the signature ends in base64 padding.
        name, _, field_value = part.partition("=")
        fields[name.strip().lower()] = field_value.strip()
    signed = [name.strip().lower() for name in fields.get("signedheaders", "").split(";")]
    signature = fields.get("signature", "")
    if not signature or not signed or "" in signed:
        raise SignatureError("Authorization must carry SignedHeaders=...&Signature=...")
    required = {"host", CONTENT_HASH_HEADER}
    if not required <= set(signed) or not set(DATE_HEADERS) & set(signed):
        raise SignatureError(
            "SignedHeaders must include x-ms-date (or date), host and x-ms-content-sha256"
        )
    return signed, signature


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"the signed header {name} is missing")
    return value


def _signed_date(headers: Mapping[str, str], signed: Sequence[str]) -> str:
    name = next(name for name in DATE_HEADERS if name in signed)
    return _header(headers, name)


def _check_date(value: str, now: datetime, max_skew: timedelta) -> None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise SignatureError("the date header is not an RFC 1123 date") from exc
    if when.tzinfo is None:
        raise SignatureError("the date header must be in GMT")
    if abs(now.astimezone(UTC) - when) > max_skew:
        raise SignatureError(f"the request date is more than {max_skew} away from the server clock")
