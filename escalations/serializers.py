"""API shapes of escalation policies (admins) and of an incident's escalation."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from calls.models import CallMode
from contacts.models import Contact, ContactGroup
from contacts.phone import normalize_targets
from escalations.models import MAX_STEP_TARGETS, MAX_WAIT_SECONDS, Escalation, EscalationPolicy
from escalations.services.policies import MAX_STEPS, StepSpec


class StepInput(serializers.Serializer[StepSpec]):
    groups = serializers.PrimaryKeyRelatedField(
        queryset=ContactGroup.objects.all(), many=True, required=False, default=list
    )
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), many=True, required=False, default=list
    )
    targets = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        default=list,
        max_length=MAX_STEP_TARGETS,
        help_text="Other E.164 numbers (+14255550123) or ACS user ids (8:acs:...).",
    )
    mode = serializers.ChoiceField(choices=CallMode.choices, default=CallMode.BRIDGE)
    wait_seconds = serializers.IntegerField(
        min_value=0,
        max_value=MAX_WAIT_SECONDS,
        help_text="How long after this step the next one runs, if too few acknowledged.",
    )

    def validate_targets(self, value: list[str]) -> list[str]:
        numbers, errors = normalize_targets(value)
        if errors:
            raise serializers.ValidationError({str(i): messages for i, messages in errors.items()})
        return numbers

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["mode"] = CallMode(attrs["mode"])
        return attrs


class EscalationPolicyInput(serializers.Serializer[EscalationPolicy]):
    name = serializers.CharField(
        max_length=100, validators=[UniqueValidator(queryset=EscalationPolicy.objects.all())]
    )
    ack_quorum = serializers.IntegerField(
        min_value=1,
        default=1,
        help_text="The next step runs only while fewer than this many people acknowledged.",
    )
    steps = StepInput(many=True, help_text=f"In order, 1 to {MAX_STEPS}; step 1 runs at once.")

    def validate_steps(self, value: list[dict[str, Any]]) -> list[StepSpec]:
        if not 1 <= len(value) <= MAX_STEPS:
            raise serializers.ValidationError(f"Give 1 to {MAX_STEPS} steps.")
        return [StepSpec(**step) for step in value]


class StepOutput(serializers.Serializer[dict[str, Any]]):
    groups = serializers.ListField(child=serializers.IntegerField())
    contacts = serializers.ListField(child=serializers.IntegerField())
    targets = serializers.ListField(child=serializers.CharField())
    mode = serializers.ChoiceField(choices=CallMode.choices)
    wait_seconds = serializers.IntegerField()


class EscalationPolicyOutput(serializers.ModelSerializer[EscalationPolicy]):
    steps = serializers.SerializerMethodField()

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "ack_quorum", "steps", "created_at"]
        read_only_fields = fields

    @extend_schema_field(StepOutput(many=True))
    def get_steps(self, policy: EscalationPolicy) -> list[dict[str, Any]]:
        return [
            {
                "groups": [g.pk for g in step.groups.all()],
                "contacts": [c.pk for c in step.contacts.all()],
                "targets": list(step.targets),
                "mode": step.mode,
                "wait_seconds": step.wait_seconds,
            }
            for step in policy.steps.all()
        ]


class EscalationOutput(serializers.ModelSerializer[Escalation]):
    class Meta:
        model = Escalation
        fields = [
            "policy",
            "policy_name",
            "ack_quorum",
            "steps",
            "current_step",
            "next_step_at",
            "state",
            "stop_reason",
            "started_at",
            "stopped_at",
        ]
        read_only_fields = fields
