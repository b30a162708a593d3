"""The one error type the emulator's handlers raise, and the flat `{"code", "message"}` body."""

from collections.abc import Mapping

from starlette.responses import JSONResponse


class ApiError(Exception):
    """An HTTP error reply: status, a short machine code and a human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NotFound", message)


def error_response(error: ApiError) -> JSONResponse:
    # The 2021 documentation shows a flat body; issue 3 pins that shape for the emulator.
    return JSONResponse(
        {"code": error.code, "message": error.message},
        status_code=error.status,
        headers=error.headers,
    )


def communication_error_response(error: ApiError) -> JSONResponse:
    """The GA API's CommunicationErrorResponse: the same error, wrapped (reference 3.4)."""
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message}},
        status_code=error.status,
        headers=error.headers,
    )
