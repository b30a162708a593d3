"""One error shape for every API response: `{"code": "...", "message": "..."}`.

Validation errors add `"errors"`: the field-by-field messages DRF produced.
"""

from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, UnreadablePostError
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from config.body_limits import RequestTooLarge
from config.errors import INVALID, DomainError, error_body


class ErrorOutput(serializers.Serializer[None]):
    """The body of every error response (documented once in the OpenAPI schema)."""

    code = serializers.CharField(help_text="Stable and machine-readable, e.g. `not_found`.")
    message = serializers.CharField(help_text="For people; may change.")
    errors = serializers.JSONField(  # type: ignore[assignment]  # the field, not Serializer.errors
        required=False,
        help_text="Validation errors only: the messages for each field that was not valid.",
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        # An error that declares no status answers 500 (DomainError's), which Django logs.
        headers = {} if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
        return Response(error_body(exc.code, exc.message), status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        # A model's own rules (full_clean in a service) answer like a serializer's.
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    else:
        exc = _unreadable_request(exc)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(INVALID, "The request is not valid.", errors=exc.detail)
    else:
        codes = exc.get_codes()
        body = error_body(codes if isinstance(codes, str) else "error", str(exc.detail))
    response.data = body
    return response


def _unreadable_request(exc: Exception) -> Exception:
    """Django's refusals of a request it cannot read, met by `request.body` or a form parser
    in a view (the callback and alert views read the body themselves), as API errors: they
    were Django's HTML 400 page."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(str(exc))
    if isinstance(exc, SuspiciousOperation):  # too many fields or files, a bad multipart
        return exceptions.ParseError(str(exc) or "The request could not be read.")
    if isinstance(exc, UnreadablePostError):  # the client went away while sending it
        return exceptions.ParseError("The request body could not be read.")
    return exc
