"""The OpenAPI description: drf-spectacular's, plus the error responses every operation can give.

Views declare their success responses (and domain errors such as 409) with `extend_schema`; the
errors that follow from authentication, permissions, validation and lookups are added here, so
no endpoint can forget them and all point at the one error shape.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema

from config.api_errors import ErrorOutput


class ApiSchema(AutoSchema):
    # drf-spectacular's hook for the responses of one operation; `extend_schema` overrides
    # get_response_serializers, so the errors are added after it.
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            error = self._get_response_for_code(  # type: ignore[no-untyped-call]
                ErrorOutput, str(code), direction=direction
            )
            responses.setdefault(str(code), error)
        return responses

    def _error_statuses(self) -> list[int]:
        action = getattr(self.view, "action", None)
        codes = [401, 403]
        if self.method in ("POST", "PUT", "PATCH") or action == "list":
            codes.append(400)  # a body or a filter that is not valid
        if "{" in self.path or action == "list":
            codes.append(404)  # no such object, or a page past the end
        return codes


def only_the_api(endpoints: list[tuple[str, Any, Any, Any]]) -> list[tuple[str, Any, Any, Any]]:
    """Keep /api/ only: the provider's callback is a webhook, not part of the public API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
