"""Creating, previewing and cancelling reminders."""

from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from callouts.models import CalloutPolicy
from callouts.quiet_hours import zone_named
from calls.keypad import reminder_keypad, validate_keypad
from calls.services.prompts import PromptChoice, chosen_prompt
from contacts.models import Contact, ContactGroup
from contacts.phone import normalize_target
from reminders.errors import InvalidReminder, ReminderStarted
from reminders.models import Reminder, ReminderRecipient, ReminderState, Repeat
from reminders.services.timing import Planned, first_occurrence, plan_run
from reminders.tasks import fire_reminder


@dataclass(frozen=True)
class Line:
    """One recipient line as given: exactly one of contact, group and number."""

    contact: Contact | None = None
    group: ContactGroup | None = None
    number: str = ""
    appointment_at: datetime | None = None
    time_zone: str = ""


@dataclass(frozen=True)
class Draft:
    """A reminder before it is saved: what create_reminder and preview_reminder take."""

    name: str
    lines: list[Line]
    starts_at: datetime | None = None
    lead_minutes: int | None = None
    time_zone: str = "UTC"
    quiet_start: time | None = None
    quiet_end: time | None = None
    repeat: str = Repeat.NONE
    repeat_until: datetime | None = None
    is_drill: bool = False
    keypad: dict[str, str] | None = None
    policy: CalloutPolicy | None = None


def _unsaved(draft: Draft) -> tuple[Reminder, list[ReminderRecipient]]:
    """The draft as rows (not saved), checked. Raises InvalidReminder."""
    reminder = Reminder(
        name=draft.name.strip(),
        keypad=draft.keypad or reminder_keypad(),
        policy=draft.policy,
        is_drill=draft.is_drill,
        time_zone=draft.time_zone or "UTC",
        starts_at=draft.starts_at,
        lead_minutes=draft.lead_minutes,
        quiet_start=draft.quiet_start,
        quiet_end=draft.quiet_end,
        repeat=draft.repeat,
        repeat_until=draft.repeat_until,
    )
    lines = [
        ReminderRecipient(
            position=position,
            contact=line.contact,
            group=line.group,
            number=_number(line.number),
            appointment_at=line.appointment_at,
            time_zone=line.time_zone,
        )
        for position, line in enumerate(draft.lines, start=1)
    ]
    _check(reminder, lines)
    return reminder, lines


def _number(raw: str) -> str:
    try:
        return normalize_target(raw) if raw else ""
    except ValidationError as exc:
        raise InvalidReminder(" ".join(exc.messages)) from exc


def _check(reminder: Reminder, lines: list[ReminderRecipient]) -> None:
    if not reminder.name:
        raise InvalidReminder("Give the reminder a name.")
    if not lines:
        raise InvalidReminder("Choose at least one contact, group or number to call.")
    if any(sum(1 for x in (line.contact, line.group, line.number) if x) != 1 for line in lines):
        raise InvalidReminder("Each recipient is one contact, one group or one number.")
    if (reminder.starts_at is None) == (reminder.lead_minutes is None):
        raise InvalidReminder("Give either a start time or a time before each appointment.")
    if reminder.starts_at is not None and timezone.is_naive(reminder.starts_at):
        raise InvalidReminder("Give the start time with its offset or zone.")
    if reminder.lead_minutes is not None and any(line.appointment_at is None for line in lines):
        raise InvalidReminder("A time before each appointment needs everyone's appointment.")
    if reminder.repeat and reminder.starts_at is None:
        raise InvalidReminder("A repeating reminder (a drill) needs a start time.")
    if (reminder.quiet_start is None) != (reminder.quiet_end is None):
        raise InvalidReminder("Quiet hours need both a start and an end.")
    try:
        for zone in [reminder.time_zone, *(line.time_zone for line in lines if line.time_zone)]:
            zone_named(zone)
        validate_keypad(reminder.keypad)
    except ValidationError as exc:
        raise InvalidReminder(" ".join(exc.messages)) from exc


def preview_reminder(*, draft: Draft) -> list[Planned]:
    """Who the draft's first run calls and when, first first. Raises InvalidReminder."""
    reminder, lines = _unsaved(draft)
    return plan_run(reminder, lines, occurrence=first_occurrence(reminder, lines))


@audited
@transaction.atomic
def create_reminder(*, draft: Draft, prompt: PromptChoice, created_by: User | None) -> Reminder:
    """Save the reminder and enqueue its firing at its first occurrence. Raises
    InvalidReminder; for a typed message what calls.services.prompts.typed_prompt raises."""
    reminder, lines = _unsaved(draft)
    played = chosen_prompt(prompt)
    if played is None:
        raise InvalidReminder("Choose a recording or type the message to say.")
    reminder.prompt = played
    reminder.created_by = created_by
    reminder.next_run_at = first_occurrence(reminder, lines)
    reminder.save()
    for line in lines:
        line.reminder = reminder
    ReminderRecipient.objects.bulk_create(lines)
    fire_reminder.using(run_after=reminder.next_run_at).enqueue(reminder.pk)
    record_action(action=AuditAction.ADD, target=reminder, actor=created_by, summary="Scheduled.")
    return reminder


@audited
@transaction.atomic
def cancel_reminder(*, reminder: Reminder) -> Reminder:
    """Cancel a reminder not yet started (or a drill's runs still to come): nobody more is
    called by it. Raises ReminderStarted."""
    locked = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if not locked.is_cancellable:
        raise ReminderStarted(
            f"This reminder is {locked.get_state_display().lower()}: it can no longer be "
            "cancelled (stop its call-out from its incident page)."
        )
    locked.state = ReminderState.CANCELLED
    locked.next_run_at = None
    locked.save(update_fields=["state", "next_run_at"])
    record_action(action=AuditAction.CANCEL, target=locked, summary="Cancelled.")
    return locked
