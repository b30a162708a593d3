"""When the provider client tries a request again, and how long it waits first.

Which operation retries on what is decided beside each operation in calls.client; this module
holds the budget (RetryPolicy), the two kinds of failure worth a retry, and the reading of a
Retry-After header.
"""

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from calls.provider_types import ProviderError, ProviderThrottled, ProviderUnreachable


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # including the first
    initial_backoff: float = 0.5  # seconds; doubles per attempt, plus up to this much jitter
    max_backoff: float = 8.0
    # A longer Retry-After is not waited out inline: the ProviderThrottled goes to the caller,
    # carrying retry_after, so a request thread never blocks for minutes.
    max_retry_after: float = 10.0


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


def transient(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def never_arrived(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnreachable | ProviderThrottled)


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,9}", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # "-0000" means UTC without saying so
    return max(0.0, (when - now).total_seconds())
