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


# OpenAPI links: what a client (and schemathesis's stateful run) may do with what an
# operation answered. (source path, method, status) -> the operations its body's `id` names.
LINKS: dict[tuple[str, str, str], list[tuple[str, str]]] = {
    ("/api/incidents/", "post", "201"): [
        ("/api/incidents/{id}/", "get"),
        ("/api/incidents/{id}/timeline/", "get"),
        ("/api/incidents/{id}/resolve/", "post"),
        ("/api/incidents/{id}/cancel/", "post"),
    ],
    ("/api/incidents/{id}/", "get", "200"): [
        ("/api/incidents/{id}/resolve/", "post"),
        ("/api/incidents/{id}/cancel/", "post"),
    ],
    ("/api/contacts/", "post", "201"): [
        ("/api/contacts/{id}/", "get"),
        ("/api/contacts/{id}/", "patch"),
        ("/api/contacts/{id}/", "delete"),
    ],
    ("/api/groups/", "post", "201"): [
        ("/api/groups/{id}/", "get"),
        ("/api/groups/{id}/", "delete"),
    ],
}


def add_links(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the LINKS above, by the operations' own ids."""
    paths = result.get("paths", {})
    for (path, method, status), targets in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            raise KeyError(f"LINKS names {method} {path} {status}, which the schema lacks")
        links = response.setdefault("links", {})
        for target_path, target_method in targets:
            operation_id = paths[target_path][target_method]["operationId"]
            links[operation_id] = {
                "operationId": operation_id,
                "parameters": {"id": "$response.body#/id"},
            }
    return result
