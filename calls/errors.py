from config.errors import DomainError


class CallNotLive(DomainError):
    """The call has not been placed yet or has already ended."""

    code = "call_not_live"


class ProviderFailed(DomainError):
    """The provider refused or could not be reached; the message says which and why."""

    code = "provider_failed"


class NothingToCall(DomainError):
    """No active contact or number was given."""

    code = "nothing_to_call"


class CannotRetry(DomainError):
    """Only calls the provider refused can be placed again."""

    code = "cannot_retry"


class CannotRingAgain(DomainError):
    """The person or call is not over yet, or the incident is closed."""

    code = "cannot_ring_again"
    status_code = 409
