"""The emulator's settings: one frozen dataclass, built by the CLI or by whoever embeds the app."""

import asyncio
import base64
import binascii
from dataclasses import dataclass, field
from datetime import timedelta

API_VERSION = "2021-04-15-preview1"
# The GA versions that azure-communication-callautomation 1.6 knows (its default is the last).
GA_API_VERSIONS = (
    "2023-03-06",
    "2023-10-15",
    "2024-04-15",
    "2024-09-15",
    "2025-05-15",
    "2025-06-15",
    "2026-03-12",
)
# The audience of the emulator's callback JWTs unless told otherwise: a stand-in for the
# immutable resource id (a GUID) that real ACS puts there. Importable without side effects.
EMULATOR_RESOURCE_ID = "00000000-0000-4000-8000-00000000ac5e"


def decode_access_key(access_key: str | bytes) -> bytes:
    """Return the HMAC key: a str is the base64 key of a connection string, bytes are used as is.

    Raises ValueError when the string is not valid base64 or decodes to nothing.
    """
    if isinstance(access_key, bytes):
        key = access_key
    else:
        try:
            key = base64.b64decode(access_key, validate=True)
        except binascii.Error as exc:
            raise ValueError("access key is not valid base64") from exc
    if not key:
        raise ValueError("access key is empty")
    return key


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulated service behaves. Every simulated delay is multiplied by `time_scale`."""

    access_key: str | bytes
    time_scale: float = 1.0
    max_clock_skew: timedelta = timedelta(minutes=15)
    # The 2021 documentation shows 200; the generated SDK of the time expected 201.
    create_call_status: int = 200
    ring_timeout_ms: int = 30_000
    default_answer_after_ms: int = 2_000
    callback_attempts: int = 4
    callback_timeout_s: float = 5.0
    audio_timeout_s: float = 10.0
    audio_max_bytes: int = 20 * 1024 * 1024
    # GA callbacks must be https, except to a loopback host; True allows http to any host.
    allow_http_callbacks: bool = False
    # None: the base URL the request came to (scheme, host and mount prefix), as for the
    # OpenID configuration; set it when clients reach the emulator through a proxy.
    jwt_issuer: str | None = None
    jwt_audience: str = EMULATOR_RESOURCE_ID
    # PEM of the RSA key that signs callback JWTs; None: a fresh key, made on first use.
    jwt_private_key_pem: bytes | None = field(default=None, repr=False)
    key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", decode_access_key(self.access_key))
        if self.time_scale < 0:
            raise ValueError("time_scale must be zero or more")
        if self.create_call_status not in (200, 201):
            raise ValueError("create_call_status must be 200 or 201")
        if self.callback_attempts < 1:
            raise ValueError("callback_attempts must be at least 1")

    def scaled(self, milliseconds: float) -> float:
        """Seconds to wait for a simulated delay of `milliseconds`."""
        return max(milliseconds, 0) / 1000 * self.time_scale

    async def pause(self, milliseconds: float) -> None:
        """Sleep for a simulated delay (scaled); always yields to the loop, even at scale 0."""
        await asyncio.sleep(self.scaled(milliseconds))
