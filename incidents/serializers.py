"""API shapes for incidents: the declare input, the list filters, and the outputs.

The call shapes come from calls.serializers (one definition of a call in the API), the way
DeclareIncidentForm builds on TargetsForm's fields (incidents.forms).
"""

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from calls.models import AudioPrompt, CallMode
from calls.serializers import CallOutput, TargetsInput
from calls.services.hanging_up import NotHungUp
from incidents.models import Incident, IncidentStatus, Severity, TimelineEntry


class IncidentFilter(serializers.Serializer[None]):
    """Query parameters of `GET /api/incidents/`."""

    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    declared_after = serializers.DateTimeField(
        required=False, help_text="Declared at or after this time (ISO 8601)."
    )
    declared_before = serializers.DateTimeField(
        required=False, help_text="Declared before this time (ISO 8601)."
    )


class DeclareIncidentInput(TargetsInput):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.MAJOR)
    mode = serializers.ChoiceField(choices=CallMode.choices, default=CallMode.BRIDGE)
    prompt = serializers.PrimaryKeyRelatedField(
        queryset=AudioPrompt.objects.all(),
        required=False,
        allow_null=True,
        help_text="Played on a loop once the call connects. Omitted: the default prompt; "
        "null: no message.",
    )


class IncidentOutput(serializers.ModelSerializer[Incident]):
    declared_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Null for the system."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "description",
            "severity",
            "status",
            "declared_by",
            "declared_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = fields


class IncidentDetailOutput(IncidentOutput):
    calls = CallOutput(many=True, read_only=True)

    class Meta(IncidentOutput.Meta):
        fields = [*IncidentOutput.Meta.fields, "calls"]
        read_only_fields = fields


class NotHungUpOutput(serializers.Serializer[NotHungUp]):
    call = serializers.IntegerField(source="call.pk", help_text="Still running: hang it up again.")
    message = serializers.CharField(help_text="Who is on the call, and the provider's reason.")


class ClosedIncidentOutput(IncidentDetailOutput):
    """The answer to resolve and cancel: the incident, and the calls that are still running."""

    not_hung_up = serializers.SerializerMethodField()

    class Meta(IncidentDetailOutput.Meta):
        fields = [*IncidentDetailOutput.Meta.fields, "not_hung_up"]
        read_only_fields = fields

    @extend_schema_field(NotHungUpOutput(many=True))
    def get_not_hung_up(self, incident: Incident) -> Any:
        return NotHungUpOutput(self.context["not_hung_up"], many=True).data


class TimelineEntryOutput(serializers.ModelSerializer[TimelineEntry]):
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "text", "actor"]
        read_only_fields = fields
