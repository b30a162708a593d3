"""API shapes of a call-out: its progress, its recipients with their attempts, the list filter.

One definition: the dashboards' "recipient" event (callouts.events) is RecipientOutput's data,
so the API's rows and the live rows cannot drift apart.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from callouts.models import (
    Attempt,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
    StopReason,
)
from callouts.selectors import callout_progress


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
