"""The incidents API: list, read, declare (idempotently), resolve, cancel, and the timeline."""

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle, UserRateThrottle

from accounts.permissions import RolePermissions, acting_user
from accounts.roles import Action
from calls.models import Call
from config.api_errors import ErrorOutput
from config.api_pagination import PageNumber
from escalations.services.declaring import declare_with_policy
from incidents import services
from incidents.errors import CallsNotPlaced
from incidents.idempotency import (
    answer_idempotency_key,
    claim_idempotency_key,
    link_idempotency_key,
    release_idempotency_key,
    request_hash,
)
from incidents.models import Incident
from incidents.selectors import incidents_for
from incidents.serializers import (
    ClosedIncidentOutput,
    DeclareIncidentInput,
    IncidentDetailOutput,
    IncidentFilter,
    IncidentOutput,
    TimelineEntryOutput,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255


class DeclareThrottle(UserRateThrottle):
    """Declarations per user (and so per token), at settings.DECLARE_RATE."""

    scope = "declare"

    def get_rate(self) -> str:
        return str(settings.DECLARE_RATE)  # read per request, so tests can lower it


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID). The same key and body within 24 hours get the "
    "first answer again, and nobody is called twice; a different body is refused with 422.",
)
TRANSITION_RESPONSES = {
    200: OpenApiResponse(
        ClosedIncidentOutput,
        description="Done. Calls the provider did not hang up are still running and listed in "
        "`not_hung_up`; hang each up again with `POST /api/calls/{id}/hangup/`.",
    ),
    409: OpenApiResponse(ErrorOutput, description="Not allowed from the current status."),
}


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Incident],
):
    permission_classes = [RolePermissions]
    action_permissions = {
        "list": Action.VIEW,
        "retrieve": Action.VIEW,
        "timeline": Action.VIEW,
        "create": Action.DECLARE,
        "resolve": Action.RESOLVE,
        "cancel": Action.CANCEL,
    }

    def get_queryset(self) -> QuerySet[Incident]:
        incidents = incidents_for(self.request.user)
        if self.action == "list":
            return self._filtered(incidents)
        # The bridge calls only: a call-out's thousands of attempt calls are its recipients'.
        bridges = Call.objects.filter(attempt__isnull=True).prefetch_related(
            "participants__contact"
        )
        return incidents.prefetch_related(Prefetch("calls", bridges, to_attr="bridge_calls"))

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "create":
            return DeclareIncidentInput
        if self.action == "list":
            return IncidentOutput
        return IncidentDetailOutput

    def get_throttles(self) -> list[BaseThrottle]:
        if self.action == "create":
            return [DeclareThrottle()]
        return super().get_throttles()

    @extend_schema(parameters=[IncidentFilter])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[IDEMPOTENCY_PARAMETER],
        request=DeclareIncidentInput,
        responses={
            201: OpenApiResponse(
                IncidentDetailOutput,
                description="Declared. Calls the provider refused are in `calls` with state "
                "`failed` and a `last_error`; retry them with `POST /api/calls/{id}/retry/`. "
                "A broadcast call-out answers at once with its recipients stored (`callout`); "
                "the dialling is background work.",
            ),
            409: OpenApiResponse(
                ErrorOutput,
                description="The same key is still in flight; retry after `Retry-After` "
                "seconds (a request that died is taken over after IDEMPOTENCY_GRACE_SECONDS).",
            ),
            422: OpenApiResponse(ErrorOutput, description="The key was used with another body."),
            429: OpenApiResponse(ErrorOutput, description="Too many; wait for Retry-After."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return self._declare(request)
        if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise ValidationError(
                {IDEMPOTENCY_HEADER: [f"Give 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters."]}
            )
        claim = claim_idempotency_key(
            user=acting_user(request), key=key, body_hash=request_hash(request.data)
        )
        if claim.is_answered:
            return self._replayed(claim.response_body, cast(int, claim.response_status))
        if claim.incident is not None:  # declared by a request that died before it answered
            body = self._detail(claim.incident)
            answer_idempotency_key(claim=claim, status=status.HTTP_201_CREATED, body=body)
            return self._replayed(body, status.HTTP_201_CREATED)
        try:
            response = self._declare(
                request,
                on_declared=lambda incident: link_idempotency_key(claim=claim, incident=incident),
            )
        except BaseException:
            release_idempotency_key(claim=claim)
            raise
        answer_idempotency_key(claim=claim, status=response.status_code, body=response.data)
        return response

    def _declare(
        self, request: Request, on_declared: Callable[[Incident], None] | None = None
    ) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            incident = declare_with_policy(
                policy=data.pop("escalation_policy", None),
                **data,
                declared_by=acting_user(request),
                on_declared=on_declared,
            )
        except CallsNotPlaced as exc:
            # Stored all the same: answering 201 (failed calls visible) stops a retrying client
            # from declaring it again, which a 503 would invite.
            incident = exc.incident
        body = self._detail(incident)
        return Response(body, status=status.HTTP_201_CREATED, headers=self._location(body))

    def _detail(self, incident: Incident) -> Any:
        return IncidentDetailOutput(self.get_queryset().get(pk=incident.pk)).data

    def _replayed(self, body: Any, status_code: int) -> Response:
        return Response(
            body,
            status=status_code,
            headers={"Idempotent-Replayed": "true", **self._location(body)},
        )

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        closed = services.resolve_incident(incident=self.get_object(), actor=acting_user(request))
        return self._closed(closed)

    @extend_schema(request=None, responses=TRANSITION_RESPONSES)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        closed = services.cancel_incident(incident=self.get_object(), actor=acting_user(request))
        return self._closed(closed)

    @extend_schema(responses=TimelineEntryOutput(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str) -> Response:
        entries = self.get_object().timeline.select_related("actor").order_by("at", "id")
        paginator = PageNumber()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(TimelineEntryOutput(page, many=True).data)

    def _location(self, body: Any) -> dict[str, str]:
        return {"Location": reverse("api:incident-detail", kwargs={"pk": body["id"]})}

    def _filtered(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        filters = IncidentFilter(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        lookups = {
            "kind": "kind",
            "status": "status",
            "severity": "severity",
            "declared_after": "declared_at__gte",
            "declared_before": "declared_at__lt",
        }
        return incidents.filter(
            **{lookups[name]: value for name, value in filters.validated_data.items()}
        )

    def _closed(self, closed: services.ClosedIncident) -> Response:
        incident = self.get_queryset().get(pk=closed.incident.pk)
        context = {"not_hung_up": closed.not_hung_up}
        return Response(ClosedIncidentOutput(incident, context=context).data)
