"""What the call-out services refuse, each with the HTTP status every interface answers."""

from http import HTTPStatus

from config.errors import DomainError


class InvalidPolicy(DomainError):
    """A policy or quorum that cannot work (no attempts, a negative wait, an unknown outcome)."""

    code = "invalid_policy"
    status_code = HTTPStatus.BAD_REQUEST


class UnknownPolicy(DomainError):
    """No policy preset has the id given."""

    code = "unknown_policy"
    status_code = HTTPStatus.BAD_REQUEST


class TooManyRecipients(DomainError):
    """More recipients than CALLOUT_MAX_RECIPIENTS allows in one call-out."""

    code = "too_many_recipients"
    status_code = HTTPStatus.BAD_REQUEST


class NoCallerNumber(DomainError):
    """No caller number to call from: none active in the pool, and no ACS_CALLER_ID."""

    code = "no_caller_number"
    status_code = HTTPStatus.BAD_REQUEST


class NoCallout(DomainError):
    """The incident has no call-out (it was declared as a bridge call)."""

    code = "no_callout"
    status_code = HTTPStatus.NOT_FOUND


class CalloutNotRunning(DomainError):
    """The call-out has already finished or been stopped."""

    code = "callout_not_running"
    status_code = HTTPStatus.CONFLICT


class CannotRingRecipientAgain(DomainError):
    """The person cannot be rung again now: being called, waiting their turn, or the call-out
    was stopped or its incident closed."""

    code = "cannot_ring_recipient_again"
    status_code = HTTPStatus.CONFLICT


class CannotExtendCallout(DomainError):
    """People cannot be added to a call-out that was stopped, or whose incident closed."""

    code = "cannot_extend_callout"
    status_code = HTTPStatus.CONFLICT
