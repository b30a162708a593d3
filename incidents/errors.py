"""What the incidents services refuse, each with the HTTP status every interface answers."""

from http import HTTPStatus
from typing import TYPE_CHECKING

from calls.errors import ProviderFailed
from config.errors import DomainError

if TYPE_CHECKING:
    from incidents.models import Incident


class InvalidTransition(DomainError):
    """The incident cannot move from its current status to the requested one."""

    code = "invalid_transition"
    status_code = HTTPStatus.CONFLICT


class CallsNotPlaced(ProviderFailed):
    """The incident is declared and stored, but the provider did not place some of its calls.

    Carries the incident so that interfaces can show it (its failed calls can be retried).
    """

    status_code = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, message: str, *, incident: "Incident") -> None:
        super().__init__(message)
        self.incident = incident


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was already used with a different request body."""

    code = "idempotency_key_reused"
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY


class IdempotentRequestInFlight(DomainError):
    """A request with the same Idempotency-Key is still being processed (or may be: retry after
    `retry_after` seconds)."""

    code = "idempotency_request_in_flight"
    status_code = HTTPStatus.CONFLICT

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
