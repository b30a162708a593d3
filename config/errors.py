"""The root of every domain error, and the one error shape every interface answers with."""

from http import HTTPStatus
from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the request. `code` is stable; `message` is for people.

    `status_code` is the HTTP status every interface answers with (as DRF's APIException
    carries it). Each error declares its own: one that does not is a bug, answered 500 so that
    it is noticed, not quietly shown as the client's fault.
    """

    code = "domain_error"
    status_code = 500
    # Seconds after which a retry may succeed, answered as Retry-After; None: not said.
    retry_after: int | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ScrapeRefused(DomainError):
    """/metrics was asked for without the token, from outside the allowed networks."""

    code = "metrics_refused"
    status_code = HTTPStatus.FORBIDDEN


# The code of a request whose fields are not valid (a serializer's or a form's errors).
INVALID = "invalid"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape of the API and the dashboard's JSON answers (README, REST API)."""
    return {"code": code, "message": message, **extra}
