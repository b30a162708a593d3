"""Which provider the app talks to, the one client for it (of the dialect ACS_API_VERSION
names), and the one verifier of its signed callbacks (GA).

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

from calls import signing
from calls.callback_tokens import CallbackTokenVerifier, default_issuer
from calls.client import CallAutomationClient
from calls.client_ga import GaCallAutomationClient
from calls.dialects import is_ga
from calls.errors import ProviderFailed
from calls.provider_interface import ProviderClient
from calls.provider_types import ProviderError, ProviderNotFound

_lock = threading.Lock()
_client: ProviderClient | None = None
_verifier: CallbackTokenVerifier | None = None


def emulator_access_key() -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), b"acs-emulator", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def connection_string() -> str:
    if settings.ACS_CONNECTION_STRING:
        return str(settings.ACS_CONNECTION_STRING)
    endpoint = f"{settings.PUBLIC_BASE_URL}{settings.ACS_EMULATOR_PATH}/"
    return f"endpoint={endpoint};accesskey={emulator_access_key()}"


def build_client() -> ProviderClient:
    """A client of the dialect ACS_API_VERSION names. Raises ValueError for an unknown version
    (the check config.E002 refuses it at start-up) or a bad connection string."""
    version = settings.ACS_API_VERSION
    if is_ga(version):
        return GaCallAutomationClient(connection_string(), api_version=version)
    return CallAutomationClient(connection_string())


def provider_client() -> ProviderClient:
    """The process-wide client (httpx clients are thread-safe and pool their connections).
    Raises ValueError as build_client."""
    global _client
    with _lock:
        if _client is None:
            _client = build_client()
        return _client


def install_client(client: ProviderClient | None) -> None:
    """Use `client` from now on (tests pass one built on httpx.MockTransport); None resets."""
    global _client
    with _lock:
        previous, _client = _client, client
    if previous is not None and previous is not client:
        previous.close()


def callbacks_are_signed() -> bool:
    """Whether callbacks must carry the provider's JWT (GA); the 2021 preview signs none."""
    return is_ga(settings.ACS_API_VERSION)


def provider_reads_calls() -> bool:
    """Whether the provider can be asked how a call stands (GA's get call and list
    participants); the 2021 preview has no read, so there only callbacks and the ring timeout
    tell."""
    return is_ga(settings.ACS_API_VERSION)


def provider_hears_keys_from_start() -> bool:
    """Whether the provider reports every key on a call from the start (the 2021 preview); on
    GA a person's keys are heard only once recognition was started for them
    (calls.services.keys), and a key pressed before that is dropped."""
    return not is_ga(settings.ACS_API_VERSION)


def provider_speaks_text() -> bool:
    """Whether the provider speaks a typed prompt itself (GA); the 2021 preview plays only
    files, so there the app renders the text (calls.speech)."""
    return is_ga(settings.ACS_API_VERSION)


def callback_issuer() -> str:
    """ACS_CALLBACK_ISSUER, or by default ACS's issuer for a real resource and the endpoint
    itself for an emulator. Raises ConnectionStringError (a ValueError)."""
    if settings.ACS_CALLBACK_ISSUER:
        return str(settings.ACS_CALLBACK_ISSUER)
    return default_issuer(signing.parse_connection_string(connection_string()).endpoint)


def callback_verifier() -> CallbackTokenVerifier:
    """The process-wide verifier of callback tokens (it caches the provider's keys)."""
    global _verifier
    with _lock:
        if _verifier is None:
            _verifier = CallbackTokenVerifier(
                issuer=callback_issuer(), audience=str(settings.ACS_RESOURCE_ID)
            )
        return _verifier


def install_callback_verifier(verifier: CallbackTokenVerifier | None) -> None:
    """Use `verifier` from now on (tests serve keys through httpx.MockTransport); None resets."""
    global _verifier
    with _lock:
        previous, _verifier = _verifier, verifier
    if previous is not None and previous is not verifier:
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
