"""Reminders and drills: scheduled call-outs, once or repeating, each run an incident of its own.

A Reminder says who is called, what they hear, which keys mean what, by which policy, and when:
at an aware start time, or a lead before each person's appointment; never in its quiet hours
(callouts.quiet_hours); again every day or week for a drill. Each time it fires it makes one
ReminderRun, unique per (reminder, occurrence), whose incident (kind reminder or drill) carries
the call-out: its attempts and outcomes are the confirmations.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from callouts.models import CalloutPolicy
from calls.keypad import reminder_keypad, validate_keypad
from calls.models import AudioPrompt
from contacts.models import Contact, ContactGroup
from incidents.models import Incident


class ReminderState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"  # not yet fired
    RUNNING = "running", "Running"  # fired; a drill's next run may be due later
    FINISHED = "finished", "Finished"  # every run made, and their call-outs over
    CANCELLED = "cancelled", "Cancelled"


# The moves a reminder's state may make (reminders.services.scheduling checks them).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ReminderState.SCHEDULED: frozenset({ReminderState.RUNNING, ReminderState.CANCELLED}),
    ReminderState.RUNNING: frozenset({ReminderState.FINISHED, ReminderState.CANCELLED}),
    ReminderState.FINISHED: frozenset(),
    ReminderState.CANCELLED: frozenset(),
}
WAITING_STATES = (ReminderState.SCHEDULED, ReminderState.RUNNING)


class Repeat(models.TextChoices):
    NONE = "", "Once"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"


class Reminder(models.Model):
    name = models.CharField(max_length=200)
    prompt = models.ForeignKey(AudioPrompt, on_delete=models.PROTECT, related_name="+")
    keypad = models.JSONField(default=reminder_keypad, validators=[validate_keypad])
    policy = models.ForeignKey(
        CalloutPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_drill = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA, e.g. Europe/Paris.")
    starts_at = models.DateTimeField(
        null=True, blank=True, help_text="When it fires (and the time of day it repeats at)."
    )
    lead_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Call each person this long before their appointment."
    )
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    repeat = models.CharField(max_length=8, choices=Repeat.choices, default=Repeat.NONE, blank=True)
    repeat_until = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=ReminderState.choices, default=ReminderState.SCHEDULED
    )
    # The occurrence it fires for next; None once there is none (or it was cancelled).
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ReminderState.values), name="reminder_state_is_known"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=False, lead_minutes__isnull=True)
                | Q(starts_at__isnull=True, lead_minutes__isnull=False),
                name="reminder_starts_at_or_lead",
            ),
            models.CheckConstraint(
                condition=Q(repeat="") | Q(starts_at__isnull=False),
                name="reminder_repeats_from_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cancellable(self) -> bool:
        return self.state == ReminderState.SCHEDULED or (
            self.state == ReminderState.RUNNING and bool(self.repeat)
        )


class ReminderRecipient(models.Model):
    """One line of who is called: a contact, a group's active members, or a number."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="recipients")
    position = models.PositiveIntegerField()
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        ContactGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    number = models.CharField(max_length=200, blank=True)
    appointment_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="IANA; else the reminder's.")

    class Meta:
        ordering = ["reminder", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "position"], name="reminder_recipient_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(contact__isnull=False, group__isnull=True, number="")
                | Q(contact__isnull=True, group__isnull=False, number="")
                | Q(contact__isnull=True, group__isnull=True) & ~Q(number=""),
                name="reminder_recipient_is_one_thing",
            ),
        ]

    def __str__(self) -> str:
        return str(self.contact or self.group or self.number)


class ReminderRun(models.Model):
    """One firing of a reminder: its incident holds the call-out and its outcomes."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="runs")
    occurrence = models.DateTimeField()
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="reminder_run")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurrence", "-id"]
        constraints = [
            # A restarted worker, a task run twice, a recovery sweep: never two runs of one time.
            models.UniqueConstraint(
                fields=["reminder", "occurrence"], name="reminder_run_once_per_occurrence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reminder} at {self.occurrence:%Y-%m-%d %H:%M}"
