"""What the escalation services refuse, each with the HTTP status every interface answers."""

from http import HTTPStatus

from config.errors import DomainError


class InvalidEscalationPolicy(DomainError):
    """A policy that cannot run: no steps, a quorum under 1, a wait out of range."""

    code = "invalid_escalation_policy"
    status_code = HTTPStatus.BAD_REQUEST


class EscalationNotRunning(DomainError):
    """The incident has no escalation, or it has stopped or run every step."""

    code = "escalation_not_running"
    status_code = HTTPStatus.CONFLICT
