"""The reminders API (admins): make, list, read and cancel reminders and drills."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import RolePermissions, acting_user
from config.api_errors import ErrorOutput
from reminders import permissions
from reminders.drafts import draft_of
from reminders.models import Reminder
from reminders.serializers import ReminderInput, ReminderOutput
from reminders.services.scheduling import cancel_reminder, create_reminder

REFUSED = OpenApiResponse(
    ErrorOutput,
    description="`invalid_reminder` (no time, a bad zone, a lead without appointments...) "
    "with a message saying why, or `invalid` for a malformed body.",
)
STARTED = OpenApiResponse(ErrorOutput, description="`reminder_started`: too late to cancel.")


class ReminderPermissions(RolePermissions):
    """The reminders' model permissions; cancelling needs reminders.permissions.CANCEL."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) == "cancel":
            user: User | AnonymousUser = request.user
            return bool(user.is_authenticated and user.has_perms(permissions.CANCEL))
        return super().has_permission(request, view)


class ReminderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Reminder]
):
    """Scheduled call-outs: reminders (once, or before each appointment) and repeating drills."""

    queryset = Reminder.objects.prefetch_related("recipients", "runs")
    permission_classes = [ReminderPermissions]
    serializer_class = ReminderOutput

    @extend_schema(request=ReminderInput, responses={201: ReminderOutput, 400: REFUSED})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Schedule a reminder; it fires at `starts_at`, or `lead_minutes` before each
        recipient's `appointment_at`, never in the quiet hours."""
        given = ReminderInput(data=request.data)
        given.is_valid(raise_exception=True)
        draft, prompt = draft_of(given.validated_data)
        made = create_reminder(draft=draft, prompt=prompt, created_by=acting_user(request))
        return Response(
            ReminderOutput(self.get_queryset().get(pk=made.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={200: ReminderOutput, 409: STARTED})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a reminder that has not started (or a drill's runs to come)."""
        cancel_reminder(reminder=self.get_object())
        return Response(ReminderOutput(self.get_queryset().get(pk=pk)).data)
