"""Which provider the app talks to, and the one client for it.

With no ACS_CONNECTION_STRING the app talks to the embedded emulator over real HTTP on its own
server; its access key is derived from SECRET_KEY so that nothing needs configuring.
"""

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.urls import reverse

from calls.client import CallAutomationClient
from calls.errors import ProviderFailed
from calls.provider_types import ProviderError, ProviderNotFound

_lock = threading.Lock()
_client: CallAutomationClient | None = None


def emulator_access_key() -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"acs-emulator", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def connection_string() -> str:
    if settings.ACS_CONNECTION_STRING:
        return str(settings.ACS_CONNECTION_STRING)
    endpoint = f"{settings.PUBLIC_BASE_URL}{settings.ACS_EMULATOR_PATH}/"
    return f"endpoint={endpoint};accesskey={emulator_access_key()}"


def provider_client() -> CallAutomationClient:
    """The process-wide client (httpx clients are thread-safe and pool their connections)."""
    global _client
    with _lock:
        if _client is None:
            _client = CallAutomationClient(connection_string())
        return _client


def install_client(client: CallAutomationClient | None) -> None:
    """Use `client` from now on (tests pass one built on httpx.MockTransport); None resets."""
    global _client
    with _lock:
        previous, _client = _client, client
    if previous is not None and previous is not client:
        previous.close()


@contextmanager
def provider_request(doing: str, *, gone_is_done: bool = False) -> Iterator[None]:
    """Around one request to the provider: its ProviderError becomes ProviderFailed("The
    provider did not <doing>: <why>"). With `gone_is_done`, ProviderNotFound (the call or the
    person is already gone) is the outcome that was wanted, and passes silently."""
    try:
        yield
    except ProviderError as exc:
        if gone_is_done and isinstance(exc, ProviderNotFound):
            return
        raise ProviderFailed(f"The provider did not {doing}: {exc.message}") from exc


def public_url(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def callback_url(*, call_id: int, secret: str) -> str:
    return public_url(reverse("calls:callback", kwargs={"call_id": call_id, "secret": secret}))
