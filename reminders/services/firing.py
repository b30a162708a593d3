"""Firing reminders: one run per occurrence, made under the reminder's row lock, and the sweep
that finds lost wake-ups and finished reminders.

The task (reminders.tasks.fire_reminder, enqueued with run_after at the occurrence) only wakes
this up: the reminder's row says what is due. Its run and its incident and call-out are made in
one transaction with the reminder's next occurrence, and the run is unique per occurrence, so a
task run twice, late, or after a worker died makes one run, never two.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from callouts.models import CalloutState
from callouts.policy import chosen_rules, preset_rules
from callouts.services import Schedule
from callouts.tasks import is_queued
from calls.models import CallMode
from calls.targets import Target
from config.errors import DomainError
from incidents.models import Incident, IncidentKind
from incidents.services import declare_incident
from reminders.models import WAITING_STATES, Reminder, ReminderRun, ReminderState
from reminders.services.timing import next_occurrence, plan_run
from reminders.tasks import fire_reminder

logger = logging.getLogger(__name__)
# A firing the call-out engine refused (no caller number, say) is tried again this much later.
FIRE_RETRY = timedelta(seconds=30)


def fire_due(*, reminder_id: int) -> ReminderRun | None:
    """Make the run of the reminder's occurrence if it is due and not made yet, and enqueue
    the wake-up for its next one. Returns the run made, if any. Raises nothing: when the
    call-out is refused (no caller number, say) nothing is kept, the refusal is logged and the
    firing tried again after FIRE_RETRY."""
    try:
        return _fire(reminder_id)
    except DomainError as exc:
        logger.warning("Reminder %s not fired (%s); trying again shortly.", reminder_id, exc)
        with transaction.atomic():
            fire_reminder.using(run_after=timezone.now() + FIRE_RETRY).enqueue(reminder_id)
        return None


def _fire(reminder_id: int) -> ReminderRun | None:
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().filter(pk=reminder_id).first()
        if reminder is None or reminder.state not in WAITING_STATES:
            return None
        occurrence = reminder.next_run_at
        if occurrence is None or occurrence > timezone.now():
            return None  # early (the sweep's, or a rescheduled one): its own task comes
        run = None
        if not reminder.runs.filter(occurrence=occurrence).exists():
            run = _start_run(reminder, occurrence)
        reminder.state = ReminderState.RUNNING
        reminder.next_run_at = next_occurrence(reminder, occurrence)
        reminder.save(update_fields=["state", "next_run_at"])
        if reminder.next_run_at is not None:
            fire_reminder.using(run_after=reminder.next_run_at).enqueue(reminder.pk)
    return run


def _start_run(reminder: Reminder, occurrence: datetime) -> ReminderRun:
    planned = plan_run(reminder, list(reminder.recipients.all()), occurrence=occurrence)
    made: list[ReminderRun] = []

    def record(incident: Incident) -> None:
        made.append(
            ReminderRun.objects.create(reminder=reminder, occurrence=occurrence, incident=incident)
        )

    declare_incident(
        title=f"{'Drill' if reminder.is_drill else 'Reminder'}: {reminder.name}"[:200],
        targets=[Target(p.identifier, p.contact) for p in planned],
        mode=CallMode.BROADCAST,
        prompt=reminder.prompt,
        rules=preset_rules(reminder.policy) if reminder.policy else chosen_rules(None),
        declared_by=reminder.created_by,
        on_declared=record,
        kind=IncidentKind.DRILL if reminder.is_drill else IncidentKind.REMINDER,
        schedule=Schedule(
            keypad=reminder.keypad,
            quiet_start=reminder.quiet_start,
            quiet_end=reminder.quiet_end,
            time_zone=reminder.time_zone,
            not_before={p.identifier: (p.at, p.zone) for p in planned},
        ),
    )
    return made[0]


def recover_reminders(*, now: datetime | None = None) -> int:
    """Enqueue the firing of every waiting reminder whose occurrence has come and for which no
    wake-up waits (its task was lost with a worker), and mark finished the reminders with no
    occurrence left whose call-outs are over. Returns how many firings it enqueued."""
    now = now or timezone.now()
    due = Reminder.objects.filter(state__in=WAITING_STATES, next_run_at__lte=now)
    enqueued = 0
    for reminder_id in due.order_by("pk").values_list("pk", flat=True):
        # Any waiting task counts, even one for later: a refused firing's retry waits so.
        if not is_queued(fire_reminder, reminder_id):
            fire_reminder.enqueue(reminder_id)
            enqueued += 1
    _finish_done(now)
    return enqueued


def _finish_done(now: datetime) -> None:
    running = Q(runs__incident__callout__state=CalloutState.RUNNING)
    done = Reminder.objects.filter(state=ReminderState.RUNNING, next_run_at__isnull=True).exclude(
        running
    )
    done.update(state=ReminderState.FINISHED)
