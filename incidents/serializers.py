"""API shapes for incidents: the declare input, the list filters, and the outputs.

The call shapes come from calls.serializers (one definition of a call in the API), the way
DeclareIncidentForm builds on TargetsForm's fields (incidents.forms).
"""

from django.contrib.auth.models import User
from rest_framework import serializers

from calls.models import AudioPrompt, CallMode
from calls.serializers import CallOutput, TargetsInput
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


class TimelineEntryOutput(serializers.ModelSerializer[TimelineEntry]):
    actor: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "text", "actor"]
        read_only_fields = fields
