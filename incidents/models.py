"""Incidents and their timeline."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class IncidentKind(models.TextChoices):
    """What an incident is for: the operator's list shows real incidents unless asked."""

    INCIDENT = "incident", "Incident"
    REMINDER = "reminder", "Reminder"
    DRILL = "drill", "Drill"


# What a list of incidents shows unless asked for another kind, in the dashboard and the API:
# reminder runs and drills have their own pages.
LISTED_KIND = IncidentKind.INCIDENT


class IncidentStatus(models.TextChoices):
    DECLARED = "declared", "Declared"
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"


# The only moves an incident's status may make; services check them (see services.py).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.DECLARED: frozenset({IncidentStatus.ACTIVE, IncidentStatus.CANCELLED}),
    IncidentStatus.ACTIVE: frozenset({IncidentStatus.RESOLVED, IncidentStatus.CANCELLED}),
    IncidentStatus.RESOLVED: frozenset(),
    IncidentStatus.CANCELLED: frozenset(),
}
OPEN_STATUSES = (IncidentStatus.DECLARED, IncidentStatus.ACTIVE)


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> "IncidentQuerySet":
        return self.filter(status__in=OPEN_STATUSES)


class Incident(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    kind = models.CharField(
        max_length=16, choices=IncidentKind.choices, default=IncidentKind.INCIDENT
    )
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.DECLARED
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="declared_incidents",
        null=True,
        blank=True,
        help_text="Empty when another system declared it.",
    )
    declared_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Bumped with every live event so dashboards can spot a missed one and resynchronise.
    event_seq = models.PositiveBigIntegerField(default=0, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="incident_severity_is_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=IncidentStatus.values), name="incident_status_is_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=IncidentKind.values), name="incident_kind_is_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, closed_at__isnull=True)
                | Q(
                    closed_at__isnull=False,
                    status__in=[IncidentStatus.RESOLVED, IncidentStatus.CANCELLED],
                ),
                name="incident_closed_at_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["status", "-declared_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TimelineKind(models.TextChoices):
    STATUS = "status", "Status change"
    CALL = "call", "Call"
    PARTICIPANT = "participant", "Participant"
    KEYPRESS = "keypress", "Key press"
    MEDIA = "media", "Audio"
    ACTION = "action", "Operator action"
    ERROR = "error", "Error"
    ESCALATION = "escalation", "Escalation"


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The person who acted; empty for the provider and the system.",
    )
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.text}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a user sent when declaring through the API, and the answer given.

    While the declaration runs the response is empty ("in flight"); `incident` is set in the
    declaring transaction, so a claim whose request died is known by it to have declared or not.
    Keys expire after a day (incidents.idempotency).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    incident = models.ForeignKey(
        "Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The incident the request declared, set in the declaring transaction.",
    )
    created_at = models.DateTimeField(db_index=True, help_text="When the key was last claimed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"

    @property
    def is_answered(self) -> bool:
        return self.response_status is not None
