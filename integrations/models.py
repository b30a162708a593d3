"""Alert integrations: monitoring systems that declare incidents by posting their alerts.

Each integration has its own secret token in its URL (/api/integrations/<token>/alerts/), says
whom to call and how, and maps the alert's severity onto the incident's. Every alert posted is
kept, good or bad, with what became of it.
"""

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from calls.models import AudioPrompt, CallMode
from contacts.models import Contact, ContactGroup
from escalations.models import EscalationPolicy
from incidents.models import Incident, Severity


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager (webhook, version 4)"
    GRAFANA = "grafana", "Grafana alerting (webhook contact point)"
    GENERIC = "generic", "Generic JSON (title, severity, dedup_key, status)"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def default_severity_map() -> dict[str, str]:
    """The alert's `severity` label (or field) → the incident's severity."""
    return {
        "critical": Severity.CRITICAL.value,
        "page": Severity.CRITICAL.value,
        "error": Severity.MAJOR.value,
        "warning": Severity.MAJOR.value,
        "info": Severity.MINOR.value,
    }


def validate_severity_map(value: Any) -> None:
    """Raises ValidationError unless `value` maps severity names to the incidents' severities."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValidationError('Give an object of severities, e.g. {"critical": "critical"}.')
    wrong = sorted(str(v) for v in value.values() if v not in Severity.values)
    if wrong:
        raise ValidationError(
            f"{', '.join(wrong)} is not an incident severity; use {', '.join(Severity.values)}."
        )


class Integration(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=IntegrationKind.choices)
    # The only credential a monitoring system's webhook sends: in the URL, compared whole.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    groups = models.ManyToManyField(ContactGroup, blank=True, related_name="+")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="+")
    mode = models.CharField(max_length=16, choices=CallMode.choices, default=CallMode.BRIDGE)
    escalation_policy = models.ForeignKey(
        EscalationPolicy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Escalates the incidents its alerts declare: its step 1 is called with the "
        "groups and contacts above, in step 1's mode.",
    )
    prompt = models.ForeignKey(
        AudioPrompt,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Played to the people called; empty: the default prompt.",
    )
    severity_map = models.JSONField(
        default=default_severity_map,
        validators=[validate_severity_map],
        help_text='The alert\'s severity → the incident\'s, e.g. {"critical": "critical", '
        '"warning": "major"}; a severity not named declares a "major" incident.',
    )
    resolve_on_clear = models.BooleanField(
        default=True,
        help_text="A resolved alert resolves its incident (hanging up its calls); unticked, "
        "it is only noted in the incident's timeline.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=IntegrationKind.values), name="integration_kind_is_known"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AlertOutcome(models.TextChoices):
    QUEUED = "queued", "Queued"  # stored and accepted, not processed yet
    DECLARED = "declared", "Declared an incident"
    REPEATED = "repeated", "Noted on its open incident"
    RESOLVED = "resolved", "Resolved its incident"
    CLEARED = "cleared", "Cleared: noted on its incident"
    IGNORED = "ignored", "Resolved, with no open incident"
    FAILED = "failed", "Could not declare (see the message)"
    REFUSED = "refused", "Refused (bad body)"


class Alert(models.Model):
    """One body a monitoring system posted, kept as received, and what became of it."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    body = models.TextField(help_text="As received (cut at MAX_KEPT_BODY characters).")
    # Firing and resolved alerts with the same key are one incident while it is open.
    dedup_key = models.CharField(max_length=200, blank=True)
    firing = models.BooleanField(null=True, help_text="Firing, or resolved; empty if refused.")
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=50, blank=True, help_text="As the sender spelt it.")
    outcome = models.CharField(
        max_length=16, choices=AlertOutcome.choices, default=AlertOutcome.QUEUED
    )
    message = models.CharField(
        max_length=500, blank=True, help_text="Why it was refused, or could not declare."
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=AlertOutcome.values), name="alert_outcome_is_known"
            )
        ]
        indexes = [
            models.Index(fields=["integration", "dedup_key"], name="alert_by_key"),
            models.Index(
                fields=["received_at"],
                condition=Q(outcome=AlertOutcome.QUEUED),
                name="alert_queued",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.integration}: {self.title or self.dedup_key or 'refused'}"
