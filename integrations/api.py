"""The integrations API: monitoring systems post alerts; admins configure integrations."""

from typing import Any, cast

from django.contrib.auth.decorators import login_not_required
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.permissions import RolePermissions
from config.api_errors import ErrorOutput
from integrations.models import Integration
from integrations.serializers import AlertReceivedOutput, IntegrationSerializer
from integrations.services.configuring import (
    create_integration,
    delete_integration,
    update_integration,
)
from integrations.services.intake import receive_alert


@method_decorator(login_not_required, name="dispatch")
class AlertIntakeView(APIView):
    """POST /api/integrations/<token>/alerts/: an alert from a monitoring system.

    The token in the URL is the only credential a webhook sender offers. The body is kept as
    received and read as the integration's kind sends it (not by its Content-Type, which
    senders get wrong): 202 queued, 400 refused with the reason (kept for inspection), 404 no
    active integration with that token.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    throttle_classes = []

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            202: AlertReceivedOutput,
            400: OpenApiResponse(ErrorOutput, description="Not what the integration's kind sends."),
            404: OpenApiResponse(ErrorOutput, description="No active integration has this token."),
        },
    )
    def post(self, request: Request, token: str) -> Response:
        alert = receive_alert(token=token, body=request.body)
        return Response(AlertReceivedOutput(alert).data, status=status.HTTP_202_ACCEPTED)


class IntegrationViewSet(viewsets.ModelViewSet[Integration]):
    """Admins only: each integration's configuration and its alert URL."""

    queryset = Integration.objects.prefetch_related("groups", "contacts")
    serializer_class = IntegrationSerializer
    permission_classes = [RolePermissions]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = create_integration(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = update_integration(
            integration=cast(Integration, serializer.instance), **serializer.validated_data
        )

    def perform_destroy(self, instance: Integration) -> None:
        delete_integration(integration=instance)
