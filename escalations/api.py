"""The escalations API: policies (admins), and an incident's "escalate now" (operators)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.permissions import RolePermissions, acting_user
from accounts.roles import Action
from config.api_errors import ErrorOutput
from escalations.models import EscalationPolicy
from escalations.serializers import EscalationOutput, EscalationPolicyInput, EscalationPolicyOutput
from escalations.services.policies import create_policy, delete_policy, update_policy
from escalations.services.stepping import escalate_now
from incidents.models import Incident
from incidents.selectors import incidents_for

REFUSED = OpenApiResponse(
    ErrorOutput,
    description="`invalid` with `errors` per field (a name taken, no steps, a bad "
    "number), or `invalid_escalation_policy`.",
)
NOT_RUNNING = OpenApiResponse(
    ErrorOutput, description="`escalation_not_running`: none, or it stopped or finished."
)


class EscalationPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[EscalationPolicy],
):
    """Admins only: escalation policies and their ordered steps."""

    queryset = EscalationPolicy.objects.prefetch_related("steps__groups", "steps__contacts")
    permission_classes = [RolePermissions]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action in ("create", "update", "partial_update"):
            return EscalationPolicyInput
        return EscalationPolicyOutput

    @extend_schema(
        request=EscalationPolicyInput, responses={201: EscalationPolicyOutput, 400: REFUSED}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = EscalationPolicyInput(data=request.data)
        given.is_valid(raise_exception=True)
        policy = create_policy(**given.validated_data)
        return Response(self._output(policy), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EscalationPolicyInput, responses={200: EscalationPolicyOutput, 400: REFUSED}
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the policy; `steps` replaces them all. Running escalations keep their copy."""
        return self._update(request, partial=False)

    @extend_schema(
        request=EscalationPolicyInput, responses={200: EscalationPolicyOutput, 400: REFUSED}
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some of the name, the quorum, the steps (given, they replace them all)."""
        return self._update(request, partial=True)

    def perform_destroy(self, instance: EscalationPolicy) -> None:
        delete_policy(policy=instance)

    def _update(self, request: Request, *, partial: bool) -> Response:
        policy = self.get_object()
        given = EscalationPolicyInput(policy, data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        changed = update_policy(policy=policy, **given.validated_data)
        return Response(self._output(changed))

    def _output(self, policy: EscalationPolicy) -> Any:
        return EscalationPolicyOutput(self.get_queryset().get(pk=policy.pk)).data


class IncidentEscalationViewSet(viewsets.GenericViewSet[Incident]):
    permission_classes = [RolePermissions]
    action_permissions = {"escalate": Action.ESCALATE}

    def get_queryset(self) -> QuerySet[Incident]:
        return incidents_for(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return EscalationOutput

    @extend_schema(request=None, responses={200: EscalationOutput, 409: NOT_RUNNING})
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        """Run the incident's next escalation step now; the wait for the one after starts now."""
        escalation = escalate_now(incident=self.get_object(), actor=acting_user(request))
        return Response(EscalationOutput(escalation).data)
