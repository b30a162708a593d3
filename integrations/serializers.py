"""API shapes of the integrations: their configuration, and the answer to an alert."""

from django.urls import reverse
from rest_framework import serializers

from calls.provider import public_url
from integrations.models import Alert, Integration


def alert_url(integration: Integration) -> str:
    """Where the monitoring system posts its alerts (the token in it is the credential)."""
    return public_url(reverse("api:integration-alerts", kwargs={"token": integration.token}))


class IntegrationSerializer(serializers.ModelSerializer[Integration]):
    url = serializers.SerializerMethodField(
        help_text="Where the monitoring system posts (a secret: its token is the credential)."
    )

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "kind",
            "groups",
            "contacts",
            "mode",
            "escalation_policy",
            "prompt",
            "severity_map",
            "resolve_on_clear",
            "is_active",
            "url",
            "created_at",
        ]
        read_only_fields = ["id", "url", "created_at"]

    def get_url(self, integration: Integration) -> str:
        return alert_url(integration)


class AlertReceivedOutput(serializers.ModelSerializer[Alert]):
    alert = serializers.IntegerField(source="pk", help_text="The stored alert's id.")

    class Meta:
        model = Alert
        fields = ["alert", "outcome"]
        read_only_fields = fields
