"""What alert intake refuses, each with the HTTP status every interface answers."""

from http import HTTPStatus

from config.errors import DomainError


class UnknownIntegration(DomainError):
    """No active integration has this token: answered as if the URL did not exist."""

    code = "not_found"
    status_code = HTTPStatus.NOT_FOUND


class AlertRefused(DomainError):
    """The body is not what the integration's kind sends; it is kept, with this reason."""

    code = "alert_refused"
    status_code = HTTPStatus.BAD_REQUEST
