"""Escalation policies: ordered steps of people to call while too few have acknowledged.

A policy is configuration (admin site, API). Declaring an incident with one starts its
Escalation, which copies the policy's steps: editing the policy later does not change an
escalation that is running. Group membership is read when a step runs (the people on call
then), the groups and contacts chosen are those of the copy.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from calls.models import CallMode
from contacts.models import Contact, ContactGroup
from contacts.phone import normalize_targets
from incidents.models import Incident

MAX_WAIT_SECONDS = 24 * 3600
MAX_STEP_TARGETS = 50


def validate_step_targets(value: Any) -> None:
    """Raises ValidationError unless `value` is a list of E.164 numbers or ACS ids, as
    calls.targets takes them (contacts.phone.normalize_targets judges each)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError('Give a list of numbers, e.g. ["+14255550123"].')
    if len(value) > MAX_STEP_TARGETS:
        raise ValidationError(f"A step calls at most {MAX_STEP_TARGETS} extra numbers.")
    _, errors = normalize_targets(value)
    if errors:
        raise ValidationError([f"{value[i]}: {messages[0]}" for i, messages in errors.items()])


class EscalationPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    ack_quorum = models.PositiveIntegerField(
        "acknowledgements needed",
        default=1,
        validators=[MinValueValidator(1)],
        help_text="The next step runs only while fewer than this many people acknowledged.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(ack_quorum__gte=1), name="escalation_quorum_at_least_one"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(help_text="1 runs at declaration.")
    groups = models.ManyToManyField(ContactGroup, blank=True, related_name="+")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="+")
    targets = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_step_targets],
        help_text='Other numbers or ACS user ids, e.g. ["+14255550123"].',
    )
    mode = models.CharField(max_length=16, choices=CallMode.choices, default=CallMode.BRIDGE)
    wait_seconds = models.PositiveIntegerField(
        default=300,
        validators=[MaxValueValidator(MAX_WAIT_SECONDS)],
        help_text="How long to wait after this step before the next one runs.",
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="escalation_step_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=CallMode.values), name="escalation_step_mode_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Step {self.position} of {self.policy}"


class EscalationState(models.TextChoices):
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"
    FINISHED = "finished", "Finished"  # every step ran


class EscalationStopReason(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", "Enough people acknowledged"
    INCIDENT_CLOSED = "incident_closed", "The incident was closed"
    STEPS_EXHAUSTED = "steps_exhausted", "Every step ran"


class Escalation(models.Model):
    """One incident's run of a policy. `steps` is the policy's steps as they were at
    declaration: [{"groups": [ids], "contacts": [ids], "targets": [...], "mode",
    "wait_seconds"}]."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="escalation")
    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    policy_name = models.CharField(max_length=100)
    ack_quorum = models.PositiveIntegerField()
    steps = models.JSONField()
    current_step = models.PositiveSmallIntegerField(default=0, help_text="The step run last.")
    next_step_at = models.DateTimeField(null=True, blank=True)
    # A bridge step's invitations go out after its transaction commits: the step whose calls
    # were sent last, and when a worker took up sending them (a lease: escalations.recovery).
    dispatched_step = models.PositiveSmallIntegerField(default=0)
    dispatch_claimed_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=EscalationState.choices, default=EscalationState.RUNNING
    )
    stop_reason = models.CharField(max_length=32, choices=EscalationStopReason.choices, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=EscalationState.values), name="escalation_state_is_known"
            ),
            models.CheckConstraint(
                condition=Q(state=EscalationState.RUNNING, stopped_at__isnull=True)
                | Q(~Q(state=EscalationState.RUNNING), stopped_at__isnull=False),
                name="escalation_stopped_at_matches_state",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_step_at"],
                condition=Q(state=EscalationState.RUNNING),
                name="escalation_due",
            )
        ]

    def __str__(self) -> str:
        return f"Escalation of incident #{self.incident_id} ({self.policy_name})"

    @property
    def is_running(self) -> bool:
        return self.state == EscalationState.RUNNING

    @property
    def step_count(self) -> int:
        return len(self.steps)
