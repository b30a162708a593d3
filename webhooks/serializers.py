"""The webhooks API's shapes: subscriptions in and out (the secret only in the create
answer), deliveries with their attempts."""

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, EventType, Subscription


class SubscriptionInput(serializers.Serializer[Subscription]):
    """What an admin gives. The rules (HTTPS, known events) are the service's: it answers 400
    with `invalid_webhook_url` or `invalid_webhook_events` and a message saying why."""

    url = serializers.CharField(max_length=2000, help_text="https://… (see the README).")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        help_text="At least one event type.",
    )
    is_active = serializers.BooleanField(default=True)


class SubscriptionOutput(serializers.ModelSerializer[Subscription]):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = Subscription
        fields = ["id", "url", "events", "is_active", "disabled_reason", "created_at", "updated_at"]
        read_only_fields = fields


class CreatedSubscriptionOutput(SubscriptionOutput):
    """The create answer: the one time the signing secret is shown."""

    secret = serializers.CharField(
        help_text="`whsec_` + base64: verify deliveries with it. Shown only now."
    )

    class Meta(SubscriptionOutput.Meta):
        fields = [*SubscriptionOutput.Meta.fields, "secret"]
        read_only_fields = fields


class DeliveryAttemptOutput(serializers.ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error"]
        read_only_fields = fields


class DeliveryOutput(serializers.ModelSerializer[Delivery]):
    attempts = DeliveryAttemptOutput(many=True, read_only=True)
    payload = serializers.SerializerMethodField(help_text="The body sent, parsed.")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "status",
            "tries",
            "next_attempt_at",
            "delivered_at",
            "failure",
            "created_at",
            "payload",
            "attempts",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, delivery: Delivery) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(delivery.body)
        return parsed


class DeliveryFilter(serializers.Serializer[None]):
    status = serializers.ChoiceField(
        choices=DeliveryStatus.choices, required=False, help_text="Only deliveries in this status."
    )
    event_type = serializers.ChoiceField(
        choices=EventType.choices, required=False, help_text="Only deliveries of this event."
    )
