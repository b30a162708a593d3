"""An incident's report in the API: GET /api/incidents/{id}/report/ (JSON, or ?format=csv for
the people), streamed; routed beside incidents.api.IncidentViewSet, with its scoping."""

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.permissions import RolePermissions
from accounts.roles import Action
from config.api_errors import ErrorOutput
from incidents.models import Incident
from incidents.selectors import incidents_for
from reports import exports
from reports.cost import current_rates
from reports.serializers import ReportOutput
from reports.views import export_response


class CSVRenderer(renderers.BaseRenderer):
    """Lets content negotiation accept ?format=csv; the action streams the body itself."""

    media_type = "text/csv"
    format = "csv"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return b""  # only errors get here, and they are rendered as JSON instead


FORMAT = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv"],
    description="`csv`: the people table, one row per person with their attempts summarised.",
)


class IncidentReportViewSet(viewsets.GenericViewSet[Incident]):
    permission_classes = [RolePermissions]
    action_permissions = {"report": Action.VIEW}
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    def get_queryset(self) -> QuerySet[Incident]:
        return incidents_for(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return ReportOutput

    def handle_exception(self, exc: Exception) -> Response:
        # Errors answer in the API's JSON shape, even to a request for CSV.
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[FORMAT],
        responses={
            (200, "application/json"): ReportOutput,
            (200, "text/csv"): OpenApiTypes.STR,
            404: OpenApiResponse(ErrorOutput, description="No such incident."),
        },
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str) -> StreamingHttpResponse:
        """The incident's figures, every person and the full timeline, streamed."""
        incident = self.get_object()
        if request.accepted_renderer.format == "csv":
            return export_response(incident, table="people", fmt="csv")
        stream = exports.report_json_stream(incident, current_rates())
        return StreamingHttpResponse(stream, content_type="application/json")
