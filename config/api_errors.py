"""One error shape for every API response: `{"code": "...", "message": "..."}`.

Validation errors add `"errors"`: the field-by-field messages DRF produced.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.errors import DomainError

DOMAIN_STATUS = {
    "invalid_transition": status.HTTP_409_CONFLICT,
    "call_not_live": status.HTTP_409_CONFLICT,
    "cannot_retry": status.HTTP_409_CONFLICT,
    "provider_failed": status.HTTP_503_SERVICE_UNAVAILABLE,
}


def error_response(code: str, message: str, http_status: int, **extra: Any) -> Response:
    return Response({"code": code, "message": message, **extra}, status=http_status)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, DOMAIN_STATUS.get(exc.code, 400))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "message": "The request is not valid.", "errors": exc.detail}
    else:
        codes = exc.get_codes()
        body = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(exc.detail),
        }
    response.data = body
    return response
