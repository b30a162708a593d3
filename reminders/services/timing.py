"""When a reminder fires and when each of its people is first called.

Times of day repeat in the reminder's zone (a weekly Monday 09:00 stays 09:00 across a DST
change); each person's first call is their time (the occurrence, or their appointment less the
lead) moved out of the quiet hours in their zone (callouts.quiet_hours, the one rule).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from callouts.quiet_hours import not_before, zone_named
from calls.targets import Target, targets_of
from contacts.models import Contact, ContactGroup
from reminders.models import Reminder, ReminderRecipient, Repeat

_STEP = {Repeat.DAILY: timedelta(days=1), Repeat.WEEKLY: timedelta(weeks=1)}


@dataclass(frozen=True)
class Planned:
    """One person of a run, and when they are first called (`zone` "" is the reminder's)."""

    identifier: str
    name: str
    contact: Contact | None
    at: datetime
    zone: str


def first_occurrence(reminder: Reminder, lines: list[ReminderRecipient]) -> datetime:
    """The occurrence a new reminder fires for: its start, or the first appointment's lead."""
    if reminder.starts_at is not None:
        return reminder.starts_at
    lead = timedelta(minutes=reminder.lead_minutes or 0)
    return min(line.appointment_at for line in lines if line.appointment_at) - lead


def next_occurrence(reminder: Reminder, after: datetime) -> datetime | None:
    """The repeating reminder's first occurrence after `after` (None: once, or past its end)."""
    step = _STEP.get(Repeat(reminder.repeat))
    if step is None or reminder.starts_at is None:
        return None
    zone = zone_named(reminder.time_zone)
    start = reminder.starts_at.astimezone(zone).replace(tzinfo=None)  # local wall time
    local_after = after.astimezone(zone).replace(tzinfo=None)
    steps = max(0, (local_after - start) // step)
    candidate = start + step * steps
    while candidate <= local_after:
        candidate += step
    at = candidate.replace(tzinfo=zone)
    if reminder.repeat_until is not None and at > reminder.repeat_until:
        return None
    return at


def plan_run(
    reminder: Reminder, lines: list[ReminderRecipient], *, occurrence: datetime
) -> list[Planned]:
    """Who the run for `occurrence` calls, and when each is first called (never before now)."""
    now = timezone.now()
    planned: dict[str, Planned] = {}
    for line in lines:
        at = occurrence
        if reminder.lead_minutes is not None and line.appointment_at is not None:
            at = line.appointment_at - timedelta(minutes=reminder.lead_minutes)
        for target in _targets(line):
            zone = line.time_zone
            first = not_before(
                max(at, now),
                quiet_start=reminder.quiet_start,
                quiet_end=reminder.quiet_end,
                zone=zone or reminder.time_zone,
            )
            name = target.contact.name if target.contact else ""
            planned.setdefault(
                target.identifier, Planned(target.identifier, name, target.contact, first, zone)
            )
    return sorted(planned.values(), key=lambda p: p.at)


def _targets(line: ReminderRecipient) -> list[Target]:
    groups: list[ContactGroup] = [line.group] if line.group else []
    contacts = [line.contact] if line.contact else []
    numbers = [line.number] if line.number else []
    return targets_of(groups=groups, contacts=contacts, identifiers=numbers)
