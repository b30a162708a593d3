"""What the webhook services refuse, each with the HTTP status every interface answers."""

from http import HTTPStatus

from config.errors import DomainError


class InvalidWebhookUrl(DomainError):
    """A URL webhooks cannot be sent to: not HTTPS (plain HTTP only to this machine, when
    allowed), or not a URL at all."""

    code = "invalid_webhook_url"
    status_code = HTTPStatus.BAD_REQUEST


class InvalidWebhookEvents(DomainError):
    """No event, or one the app does not emit."""

    code = "invalid_webhook_events"
    status_code = HTTPStatus.BAD_REQUEST


class DeliveryNotFailed(DomainError):
    """Only a delivery given up can be sent again."""

    code = "delivery_not_failed"
    status_code = HTTPStatus.CONFLICT
