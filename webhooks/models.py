"""Outgoing webhooks: who is told of which events, and every delivery with its attempts.

A delivery is one event for one subscription. It is stored in the transaction of the change it
tells of (webhooks.services.emitting), with the exact body it will send, so that every try sends
the same bytes under the same `webhook-id` (receivers dedupe on it).
"""

from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    INCIDENT_DECLARED = "incident.declared", "An incident was declared"
    INCIDENT_ACKNOWLEDGED = "incident.acknowledged", "Someone acknowledged an incident"
    INCIDENT_ESCALATED = "incident.escalated", "An incident was escalated"
    INCIDENT_RESOLVED = "incident.resolved", "An incident was resolved"
    INCIDENT_CANCELLED = "incident.cancelled", "An incident was cancelled"
    CALLOUT_FINISHED = "callout.finished", "A call-out finished or was stopped"


class Subscription(models.Model):
    """A URL told of the `events` it names, signed with its own secret (Standard Webhooks)."""

    url = models.URLField(max_length=2000, help_text="HTTPS; see the README for plain HTTP.")
    events = models.JSONField(default=list, help_text="The event types to send (EventType).")
    is_active = models.BooleanField(default=True)
    # "whsec_" + base64 of random bytes: shown once when made (or rotated), kept to sign.
    secret = models.CharField(max_length=100, editable=False)
    # Why the app made it inactive itself (the receiver answered 410 Gone), if it did.
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (given up)"


class Delivery(models.Model):
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_id = models.CharField(max_length=40, unique=True)  # "msg_" + 32 hex digits
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    # The JSON body, serialized once: the same bytes on every try.
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    tries = models.PositiveSmallIntegerField(
        default=0, help_text="Tries since it was emitted (or sent again by hand)."
    )
    # While pending: not to be sent before this time (the retry schedule).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker sending it right now (a lease: another one leaves it alone until it runs out).
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=500, blank=True, help_text="Why it was given up.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_is_known"
            ),
        ]
        indexes = [
            # The recovery sweep's question: which pending deliveries are due?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="delivery_attempt_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
