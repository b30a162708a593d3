"""The call-out of an incident in the API: its progress, its recipients, Stop, ring again.

Under /api/incidents/{id}/ (a call-out is part of its incident: the same scoping, the same
404 for an incident that is not yours), routed beside incidents.api.IncidentViewSet.
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.permissions import RolePermissions, acting_user
from accounts.roles import Action
from callouts import services
from callouts.models import StopReason
from callouts.selectors import callout_of, recipients_of
from callouts.serializers import (
    CalloutOutput,
    RecipientFilter,
    RecipientOutput,
    callout_output,
)
from callouts.services.stopping import StoppedCallout
from calls.serializers import NotHungUpOutput
from config.api_errors import ErrorOutput
from config.api_pagination import PageNumber
from incidents.models import Incident
from incidents.selectors import incidents_for

NO_CALLOUT = OpenApiResponse(
    ErrorOutput, description="No such incident, or (`no_callout`) it was declared as a bridge."
)
NOT_RUNNING = OpenApiResponse(
    ErrorOutput, description="`callout_not_running`: it has finished or been stopped."
)
RECIPIENT_ID = OpenApiParameter("recipient_id", int, OpenApiParameter.PATH)


class StoppedCalloutOutput(CalloutOutput):
    """The answer to Stop: the call-out, and its calls that could not be hung up."""

    not_hung_up = NotHungUpOutput(many=True, help_text="Still running: hang each up again.")


def stopped_callout_output(stopped: StoppedCallout) -> dict[str, Any]:
    return {
        **callout_output(stopped.callout),
        "not_hung_up": [NotHungUpOutput(failed).data for failed in stopped.not_hung_up],
    }


class IncidentCalloutViewSet(viewsets.GenericViewSet[Incident]):
    permission_classes = [RolePermissions]
    action_permissions = {
        "callout": Action.VIEW,
        "recipients": Action.VIEW,
        "stop": Action.STOP_CALLOUT,
        "ring_again": Action.RING_AGAIN,
    }

    def get_queryset(self) -> QuerySet[Incident]:
        return incidents_for(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return CalloutOutput  # what OPTIONS describes; each action names its own answer

    @extend_schema(responses={200: CalloutOutput, 404: NO_CALLOUT})
    @action(detail=True, methods=["get"])
    def callout(self, request: Request, pk: str) -> Response:
        """How far the incident's call-out has got: recipients per status, and the estimate."""
        return Response(callout_output(callout_of(self.get_object())))

    @extend_schema(
        request=None, responses={200: StoppedCalloutOutput, 404: NO_CALLOUT, 409: NOT_RUNNING}
    )
    @action(detail=True, methods=["post"], url_path="callout/stop")
    def stop(self, request: Request, pk: str) -> Response:
        """Stop the call-out: nobody more is called, and calls still ringing are hung up."""
        callout = callout_of(self.get_object())
        stopped = services.stop_callout(
            callout=callout, reason=StopReason.OPERATOR, actor=acting_user(request)
        )
        return Response(stopped_callout_output(stopped))

    @extend_schema(
        parameters=[RecipientFilter],
        responses={
            200: RecipientOutput(many=True),
            400: OpenApiResponse(ErrorOutput, description="An unknown status."),
            404: NO_CALLOUT,
        },
    )
    @action(detail=True, methods=["get"])
    def recipients(self, request: Request, pk: str) -> Response:
        """The call-out's recipients in calling order, a page at a time, with their attempts."""
        callout = callout_of(self.get_object())
        filters = RecipientFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = recipients_of(callout, status=filters.validated_data.get("status"))
        paginator = PageNumber()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RecipientOutput(page, many=True).data)

    @extend_schema(
        request=None,
        parameters=[RECIPIENT_ID],
        responses={
            200: RecipientOutput,
            404: OpenApiResponse(ErrorOutput, description="No such recipient, or no call-out."),
            409: NOT_RUNNING,
        },
    )
    @action(
        detail=True, methods=["post"], url_path=r"recipients/(?P<recipient_id>[0-9]+)/ring-again"
    )
    def ring_again(self, request: Request, pk: str, recipient_id: str) -> Response:
        """Try one recipient once more, next in line."""
        callout = callout_of(self.get_object())
        recipient = get_object_or_404(callout.recipients, pk=int(recipient_id))
        services.ring_recipient_again(recipient=recipient, actor=acting_user(request))
        return Response(RecipientOutput(recipients_of(callout).get(pk=recipient.pk)).data)
