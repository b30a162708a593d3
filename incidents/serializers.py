"""API shapes for incidents: the declare input, the list filters, and the outputs.

The call shapes come from calls.serializers (one definition of a call in the API), the way
DeclareIncidentForm builds on TargetsForm's fields (incidents.forms).
"""

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from callouts.models import Callout
from callouts.policy import check_recipient_count, chosen_rules, refuse_rules_for_bridge
from callouts.serializers import CalloutOutput, PolicyField, callout_output
from calls.models import AudioPrompt, CallMode
from calls.serializers import MAX_AD_HOC_TARGETS, CallOutput, NotHungUpOutput, TargetsInput
from calls.services.prompts import DEFAULT_PROMPT, TypedMessage, prompt_choice
from calls.speech import DEFAULT_VOICE, MAX_TEXT_LENGTH, VOICE_CHOICES
from escalations.models import EscalationPolicy
from escalations.services.declaring import declaring_mode
from incidents.models import (
    LISTED_KIND,
    Incident,
    IncidentKind,
    IncidentStatus,
    Severity,
    TimelineEntry,
)


class IncidentFilter(serializers.Serializer[None]):
    """Query parameters of `GET /api/incidents/`."""

    kind = serializers.ChoiceField(
        choices=IncidentKind.choices,
        default=LISTED_KIND,
        help_text="Real incidents unless asked: reminder runs and drills are incidents too.",
    )
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    declared_after = serializers.DateTimeField(
        required=False, help_text="Declared at or after this time (ISO 8601)."
    )
    declared_before = serializers.DateTimeField(
        required=False, help_text="Declared before this time (ISO 8601)."
    )


class TypedMessageInput(serializers.Serializer[TypedMessage]):
    """A message typed to be spoken by text-to-speech instead of a recorded prompt."""

    text = serializers.CharField(max_length=MAX_TEXT_LENGTH)
    voice = serializers.ChoiceField(choices=VOICE_CHOICES, default=DEFAULT_VOICE)


class DeclareIncidentInput(TargetsInput):
    # No fixed maximum here: it depends on the mode (validate_targets).
    targets = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        help_text="E.164 phone numbers (+14255550123) or ACS user ids (8:acs:...): at most "
        f"{MAX_AD_HOC_TARGETS} for a bridge, and for a broadcast call-out CALLOUT_MAX_RECIPIENTS "
        "in all (10,000 unless the server raised it).",
    )
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
    message = TypedMessageInput(
        required=False,
        allow_null=True,
        help_text="Typed text spoken in place of the prompt (by the provider on the GA API, "
        "rendered by the app on the 2021 preview).",
    )
    policy = PolicyField(
        required=False,
        allow_null=True,
        help_text="Broadcast only: how often each person is tried. Omitted or null: the default "
        "preset.",
    )
    quorum = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Broadcast only: stop once this many people acknowledged (at least 1, at most "
        "the number of recipients).",
    )

    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.all(),
        required=False,
        allow_null=True,
        help_text="Escalate by this policy: its step 1 people are called with `targets`, in "
        "step 1's mode (`mode` is then not used), and its later steps follow while too few "
        "acknowledged.",
    )

    def validate_targets(self, value: list[str]) -> list[str]:
        # Counted before any number is parsed, so an oversized list is refused at once.
        if self.initial_data.get("mode") == CallMode.BROADCAST:
            check_recipient_count(len(value))
        elif len(value) > MAX_AD_HOC_TARGETS:
            raise serializers.ValidationError(
                f"A bridge call takes at most {MAX_AD_HOC_TARGETS} numbers; for more, declare "
                "in broadcast mode."
            )
        return super().validate_targets(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        typed = attrs.pop("message", None)
        if typed is not None:
            attrs["prompt"] = prompt_choice(
                prompt=attrs.get("prompt", DEFAULT_PROMPT), message=TypedMessage(**typed)
            )
        policy = attrs.pop("policy", None)
        attrs["mode"] = declaring_mode(policy=attrs.get("escalation_policy"), mode=attrs["mode"])
        if attrs["mode"] == CallMode.BROADCAST:
            attrs["rules"] = chosen_rules(policy)
        else:  # refused before any preset is looked up: that is the mistake to report
            refuse_rules_for_bridge(policy=policy, quorum=attrs.get("quorum"))
        return super().validate(attrs)


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
            "kind",
            "severity",
            "status",
            "declared_by",
            "declared_at",
            "updated_at",
            "closed_at",
        ]
        read_only_fields = fields


class IncidentDetailOutput(IncidentOutput):
    calls = CallOutput(
        many=True,
        read_only=True,
        source="bridge_calls",
        help_text="Its bridge calls. A call-out's calls (one per attempt) are in "
        "`GET /api/incidents/{id}/recipients/`.",
    )
    callout = serializers.SerializerMethodField()

    class Meta(IncidentOutput.Meta):
        fields = [*IncidentOutput.Meta.fields, "calls", "callout"]
        read_only_fields = fields

    @extend_schema_field(CalloutOutput(allow_null=True))
    def get_callout(self, incident: Incident) -> Any:
        """Its call-out's progress (as `GET /api/incidents/{id}/callout/`); null for a bridge."""
        callout = Callout.objects.filter(incident=incident).first()
        return callout_output(callout) if callout is not None else None


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
