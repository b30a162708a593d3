"""API shapes of a call-out: the policy a declaration gives, its progress, its recipients with
their attempts, and the recipients' filter.

One definition: the dashboards' "recipient" event (callouts.events) is RecipientOutput's data,
so the API's rows and the live rows cannot drift apart.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from callouts.models import (
    MAX_ANSWER_WINDOW_SECONDS,
    MIN_ANSWER_WINDOW_SECONDS,
    RETRYABLE_OUTCOMES,
    Attempt,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
    StopReason,
)
from callouts.policy import MAX_ATTEMPTS, MAX_RETRY_WAIT_SECONDS
from callouts.selectors import callout_progress

POLICY_SCHEMA = {
    "oneOf": [
        {"type": "integer", "description": "A policy preset's id (admin site)."},
        {
            "type": "object",
            "description": "Rules of this call-out's own; what is left out is the built-in "
            "rule (3 tries, 300 s apart, after every way of not getting an answer; an answered "
            "call without an answering key is hung up after 120 s).",
            "properties": {
                "max_attempts": {"type": "integer", "minimum": 1, "maximum": MAX_ATTEMPTS},
                "retry_wait_seconds": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_RETRY_WAIT_SECONDS,
                },
                "retry_outcomes": {
                    "type": "array",
                    "items": {"type": "string", "enum": sorted(RETRYABLE_OUTCOMES)},
                },
                "answer_window_seconds": {
                    "type": "integer",
                    "minimum": MIN_ANSWER_WINDOW_SECONDS,
                    "maximum": MAX_ANSWER_WINDOW_SECONDS,
                    "description": "How long an answered call may go on without an answering "
                    "key before it is hung up (outcome answered_no_key).",
                },
            },
            "additionalProperties": False,
        },
    ],
    "nullable": True,
}


@extend_schema_field(POLICY_SCHEMA)
class PolicyField(serializers.Field):  # type: ignore[type-arg]
    """Taken as given: callouts.policy.chosen_rules says whether it names rules that work."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class CalloutOutput(serializers.Serializer[dict[str, Any]]):
    """How far a call-out has got: recipients per status, out of `total`."""

    state = serializers.ChoiceField(choices=CalloutState.choices)
    stop_reason = serializers.ChoiceField(
        choices=StopReason.choices, allow_blank=True, help_text="Blank unless it was stopped."
    )
    total = serializers.IntegerField(help_text="Recipients in all.")
    pending = serializers.IntegerField(help_text="Waiting for their first or next try.")
    dialling = serializers.IntegerField(help_text="Being called now.")
    acknowledged = serializers.IntegerField(help_text="Pressed the key that says they are on it.")
    declined = serializers.IntegerField(help_text="Pressed the key that says they cannot help.")
    not_reached = serializers.IntegerField(help_text="Tried as the policy says, never reached.")
    failed = serializers.IntegerField(help_text="Could not be called (the provider's reason).")
    stopped = serializers.IntegerField(help_text="Not called: the call-out stopped first.")
    estimated_completion = serializers.DateTimeField(
        allow_null=True,
        help_text="When everyone will have been tried, from the caller numbers' limits and the "
        "calls so far; null once nobody is left to try.",
    )


def callout_output(callout: Callout) -> dict[str, Any]:
    """CalloutOutput's data for `callout` (its counts are read now)."""
    progress = callout_progress(callout)
    row = {
        "state": callout.state,
        "stop_reason": callout.stop_reason,
        "total": progress.total,
        **progress.counts,
        "estimated_completion": progress.estimated_completion,
    }
    return dict(CalloutOutput(row).data)


class AttemptOutput(serializers.ModelSerializer[Attempt]):
    outcome = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(
        source="claimed_at", allow_null=True, help_text="When its call was sent; null until then."
    )

    class Meta:
        model = Attempt
        fields = ["number", "outcome", "started_at", "ended_at", "keys"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(
            choices=Outcome.choices, allow_null=True, help_text="Null until the attempt is over."
        )
    )
    def get_outcome(self, attempt: Attempt) -> str | None:
        return attempt.outcome or None


class RecipientOutput(serializers.ModelSerializer[Recipient]):
    """One person of a call-out, with every attempt at them (prefetch `attempts` for a page)."""

    attempts = AttemptOutput(many=True, read_only=True)

    class Meta:
        model = Recipient
        fields = ["id", "position", "identifier", "name", "status", "attempts"]
        read_only_fields = fields


class RecipientFilter(serializers.Serializer[None]):
    """Query parameters of `GET /api/incidents/{id}/recipients/`."""

    status = serializers.ChoiceField(
        choices=RecipientStatus.choices, required=False, help_text="Only the recipients in it."
    )
