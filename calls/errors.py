"""What the calls services refuse, each with the HTTP status every interface answers."""

from http import HTTPStatus

from config.errors import DomainError


class CallNotLive(DomainError):
    """The call has not been placed yet or has already ended."""

    code = "call_not_live"
    status_code = HTTPStatus.CONFLICT


class ProviderFailed(DomainError):
    """The provider refused or could not be reached; the message says which and why."""

    code = "provider_failed"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE


class NothingToCall(DomainError):
    """No active contact or number was given."""

    code = "nothing_to_call"
    status_code = HTTPStatus.BAD_REQUEST


class NoDefaultPrompt(DomainError):
    """Play was asked for the default prompt, and no prompt is the default."""

    code = "no_default_prompt"
    status_code = HTTPStatus.BAD_REQUEST


class CannotRetry(DomainError):
    """Only calls the provider refused can be placed again."""

    code = "cannot_retry"
    status_code = HTTPStatus.CONFLICT


# --- Refusals of a provider callback -------------------------------------------------------


class UnknownCall(DomainError):
    code = "unknown_call"
    status_code = HTTPStatus.NOT_FOUND


class WrongCallbackSecret(DomainError):
    code = "bad_secret"
    status_code = HTTPStatus.UNAUTHORIZED


class BadCallbackToken(DomainError):
    """A GA callback whose `Authorization: Bearer` JWT does not verify; `code` says why
    (e.g. `token_expired`, `wrong_audience`, `unknown_key`)."""

    code = "bad_token"
    status_code = HTTPStatus.UNAUTHORIZED


class MalformedCallback(DomainError):
    """The body is not events we understand; `code` is the parser's (e.g. `not_json`)."""

    status_code = HTTPStatus.BAD_REQUEST


class EventForAnotherCall(DomainError):
    code = "wrong_call"
    status_code = HTTPStatus.BAD_REQUEST


class UnstorableCallback(DomainError):
    """The database refused this callback's events (and only this callback's, the others of
    its batch were stored): redelivering it would be refused again, so it is not a 503."""

    code = "unstorable"
    status_code = HTTPStatus.UNPROCESSABLE_ENTITY


class CallbackNotStored(DomainError):
    """Answered 503: the provider may deliver again, and a redelivery is stored once."""

    code = "not_stored"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE


class CannotRingAgain(DomainError):
    """The person or call is not over yet, or the incident is closed."""

    code = "cannot_ring_again"
    status_code = HTTPStatus.CONFLICT


class SpeechUnavailable(DomainError):
    """A typed prompt could not be spoken: the offline speech engine is missing or failed."""

    code = "speech_unavailable"
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
