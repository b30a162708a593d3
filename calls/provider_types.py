"""What the provider client returns and raises: results and errors, free of any HTTP library.

Dialect-neutral: every provider dialect's client returns and raises these.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallLeg:
    call_id: str
    # The app's own identity on the call, as the provider names it in the roster (GA: the
    # create-call response's `source`); None when the response does not say (the preview).
    source: str | None = None


class OperationStatus(StrEnum):
    NOT_STARTED = "not_started"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # absent or new; the request itself was accepted


@dataclass(frozen=True)
class MediaOperation:
    operation_id: str | None
    status: OperationStatus
    operation_context: str  # what the result event will carry


@dataclass(frozen=True)
class CallInfo:
    """A call as the provider describes it now (get_call)."""

    call_id: str
    state: str  # the provider's word, lower-cased: "connecting", "connected", "disconnected"...
    server_call_id: str | None
    correlation_id: str | None


@dataclass(frozen=True)
class ParticipantInfo:
    """One person on the call now (list_participants)."""

    identifier: str  # "+E164" or "8:...", as the app sends them
    participant_id: str  # what remove_participant takes
    is_muted: bool
    is_on_hold: bool


# --- What to play --------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSource:
    """A WAV file the provider fetches from `url`; `cache_id` lets it cache the file (change
    it whenever the content at `url` changes)."""

    url: str
    cache_id: str | None = None


@dataclass(frozen=True)
class TextSource:
    """Text the provider speaks (up to 4,000 characters), e.g. locale "en-US" and voice
    "en-US-JennyNeural"; None leaves the choice to the provider."""

    text: str
    source_locale: str | None = None
    voice_name: str | None = None


PlaySource = FileSource | TextSource


# --- Errors --------------------------------------------------------------------------------


class InvalidIdentifier(ValueError):
    """Not "+E164" or "8:..."; raised before anything is sent."""


class ProviderError(Exception):
    """A provider operation failed. `retryable` says whether the failure is transient, not
    whether the operation may be repeated: each operation decides that (see `_request`)."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.operation = operation
        self.message = message
        self.status = status  # None when no response came back
        self.code = code  # the provider's own code, e.g. "8501"
        self.retry_after = retry_after  # seconds, from a Retry-After header
        where = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"{operation}: {where}" + (f" [{code}]" if code else "") + f": {message}")


class ProviderRejected(ProviderError):
    """400 and other 4xx not below: the request or the call's state was wrong."""


class ProviderUnauthorized(ProviderError):
    """401/403: bad access key, bad signature or clock skew."""


class ProviderNotFound(ProviderError):
    """404: unknown call or participant (a call that already ended, too)."""


class ProviderProtocolError(ProviderError):
    """A response the contract does not allow, e.g. a created call without its id."""


class ProviderUnavailable(ProviderError):
    """5xx, 408, a timeout or a broken connection: the request may or may not have taken effect."""

    retryable = True


class ProviderUnreachable(ProviderUnavailable):
    """No connection was made, so the request certainly did not take effect."""


class ProviderThrottled(ProviderUnavailable):
    """429: refused before it was processed; `retry_after` says when to come back."""


class NotSupportedByDialect(ProviderError):
    """The API version in use has no such operation (or option); nothing was sent."""

    def __init__(self, operation: str, api_version: str, what: str = "") -> None:
        what = what or f"{operation} is"
        super().__init__(operation, f"{what} not supported by the {api_version} dialect.")
        self.api_version = api_version


class TextSourceNotSupported(NotSupportedByDialect):
    """The 2021 preview plays only files: a text prompt must be rendered to a WAV first."""
