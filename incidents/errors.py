from typing import TYPE_CHECKING

from calls.errors import ProviderFailed
from config.errors import DomainError

if TYPE_CHECKING:
    from incidents.models import Incident


class InvalidTransition(DomainError):
    """The incident cannot move from its current status to the requested one."""

    code = "invalid_transition"


class CallsNotPlaced(ProviderFailed):
    """The incident is declared and stored, but the provider did not place some of its calls.

    Carries the incident so that interfaces can show it (its failed calls can be retried).
    """

    def __init__(self, message: str, *, incident: "Incident") -> None:
        super().__init__(message)
        self.incident = incident


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was already used with a different request body."""

    code = "idempotency_key_reused"


class IdempotentRequestInFlight(DomainError):
    """A request with the same Idempotency-Key is still being processed."""

    code = "idempotency_request_in_flight"
