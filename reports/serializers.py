"""The shape of the report API's answer, for the OpenAPI schema; reports.exports writes it."""

from rest_framework import serializers


class ReportSummaryOutput(serializers.Serializer[None]):
    targeted = serializers.IntegerField(help_text="People the incident called or had on a call.")
    reached = serializers.IntegerField(help_text="People who answered by key, either way.")
    acknowledged = serializers.IntegerField()
    declined = serializers.IntegerField(help_text="Answered that they cannot help.")
    not_reached = serializers.IntegerField(help_text="Targeted, not reached.")
    time_to_first_ack_seconds = serializers.FloatField(allow_null=True)
    time_to_ack_p50_seconds = serializers.FloatField(allow_null=True)
    time_to_ack_p90_seconds = serializers.FloatField(allow_null=True)
    first_responder = serializers.CharField(
        allow_null=True, help_text="The first person on the bridge call."
    )
    estimated_cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        allow_null=True,
        help_text="Per started minute of each participant leg; null when no rates are set.",
    )
    currency = serializers.CharField(allow_null=True)


class ReportPersonOutput(serializers.Serializer[None]):
    name = serializers.CharField()
    identifier = serializers.CharField()
    attempts = serializers.IntegerField()
    outcomes = serializers.CharField(help_text='Each attempt\'s outcome: "1 no_answer; 2 …".')
    reached = serializers.BooleanField()
    acknowledged = serializers.BooleanField()
    declined = serializers.BooleanField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    time_to_ack_seconds = serializers.FloatField(allow_null=True)
    bridge_joined_at = serializers.DateTimeField(allow_null=True)
    bridge_left_at = serializers.DateTimeField(allow_null=True)
    bridge_seconds = serializers.FloatField()
    keys_pressed = serializers.CharField()
    billed_minutes = serializers.IntegerField()
    estimated_cost = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    currency = serializers.CharField(allow_null=True)


class ReportTimelineOutput(serializers.Serializer[None]):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    text = serializers.CharField()


class ReportOutput(serializers.Serializer[None]):
    summary = ReportSummaryOutput()
    people = ReportPersonOutput(many=True)
    timeline = ReportTimelineOutput(many=True)
