"""Reminders fire at their time, in each person's zone, never in quiet hours, once per
occurrence; cancelled ones call nobody."""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from callouts.models import Attempt, Recipient
from calls.models import Call
from incidents.models import IncidentKind
from incidents.selectors import incident_list_for
from reminders.models import Reminder, ReminderRun, ReminderState, Repeat
from reminders.services.firing import fire_due, recover_reminders
from reminders.services.scheduling import Line, cancel_reminder
from tests.callouts.conftest import queued, run_tasks
from tests.provider_fake import FakeProvider
from tests.reminders.conftest import make_reminder

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 4 January 2027, 09:00 in Paris.
MONDAY_9 = datetime(2027, 1, 4, 9, 0, tzinfo=PARIS)


def test_fires_at_its_time_and_not_before(
    pool: Any, provider: FakeProvider, admin_user: Any
) -> None:
    with time_machine.travel(MONDAY_9 - timedelta(hours=1), tick=False):
        reminder = make_reminder("+14255551001", starts_at=MONDAY_9, time_zone="Europe/Paris")
        run_tasks()
        assert not ReminderRun.objects.exists()
    with time_machine.travel(MONDAY_9 - timedelta(seconds=1), tick=False):
        run_tasks()
        assert not ReminderRun.objects.exists()
    with time_machine.travel(MONDAY_9 + timedelta(seconds=1), tick=False):
        run_tasks()
    run = ReminderRun.objects.get()
    assert run.occurrence == MONDAY_9
    assert run.incident.kind == IncidentKind.REMINDER
    assert Attempt.objects.filter(recipient__callout__incident=run.incident).count() == 1
    assert run.incident.callout.keypad == {
        "1": "acknowledge",
        "2": "decline",
        "3": "call_back",
        "*": "replay",
    }
    reminder.refresh_from_db()
    assert (reminder.state, reminder.next_run_at) == (ReminderState.RUNNING, None)
    # Reminder runs are not in the operator's incident list unless asked for.
    assert not incident_list_for(admin_user).exists()
    assert incident_list_for(admin_user, kind="").count() == 1


def test_nobody_is_called_in_quiet_hours_in_their_own_zone(
    pool: Any, provider: FakeProvider
) -> None:
    # 12:00 UTC: 13:00 in Paris, 07:00 in New York, where quiet hours last until 08:00.
    noon = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        make_reminder(
            starts_at=noon,
            time_zone="Europe/Paris",
            quiet_start=time(21, 0),
            quiet_end=time(8, 0),
            lines=[
                Line(number="+14255551001", time_zone="Europe/Paris"),
                Line(number="+14255551002", time_zone="America/New_York"),
            ],
        )
        run_tasks()
        by_number = {r.identifier: r for r in Recipient.objects.all()}
        assert by_number["+14255551001"].attempts_made == 1
        waiting = by_number["+14255551002"]
        assert waiting.attempts_made == 0
        assert waiting.next_attempt_at == datetime(2027, 1, 4, 8, 0, tzinfo=NEW_YORK)
        # The pacer is woken when their quiet hours end.
        assert [t.run_after for t in queued("pace_callout")] == [waiting.next_attempt_at]
    with time_machine.travel(datetime(2027, 1, 4, 8, 0, 1, tzinfo=NEW_YORK), tick=False):
        run_tasks()
    assert Recipient.objects.get(identifier="+14255551002").attempts_made == 1


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_their_end(
    pool: Any, provider: FakeProvider
) -> None:
    from tests.callouts.conftest import ring_out

    late = datetime(2027, 1, 4, 20, 58, tzinfo=PARIS)  # the retry wait (5 min) ends at 21:03
    with time_machine.travel(late, tick=False):
        make_reminder(
            "+14255551001",
            starts_at=late,
            time_zone="Europe/Paris",
            quiet_start=time(21, 0),
            quiet_end=time(8, 0),
        )
        run_tasks()
        ring_out(Attempt.objects.get())
        recipient = Recipient.objects.get()
    assert recipient.next_attempt_at == datetime(2027, 1, 5, 8, 0, tzinfo=PARIS)


def test_cancelling_before_the_start_calls_nobody(pool: Any, provider: FakeProvider) -> None:
    with time_machine.travel(MONDAY_9 - timedelta(hours=1), tick=False):
        reminder = make_reminder("+14255551001", starts_at=MONDAY_9)
        cancel_reminder(reminder=reminder)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=1), tick=False):
        run_tasks()
        assert recover_reminders() == 0
    assert not ReminderRun.objects.exists()
    assert not Call.objects.exists()
    assert provider.operations() == []
    assert Reminder.objects.get().state == ReminderState.CANCELLED


def test_24_hours_before_each_appointment(pool: Any, provider: FakeProvider) -> None:
    first = datetime(2027, 1, 5, 10, 0, tzinfo=PARIS)
    second = datetime(2027, 1, 5, 15, 30, tzinfo=PARIS)
    with time_machine.travel(datetime(2027, 1, 3, 12, 0, tzinfo=PARIS), tick=False):
        reminder = make_reminder(
            lead_minutes=24 * 60,
            lines=[
                Line(number="+14255551001", appointment_at=first),
                Line(number="+14255551002", appointment_at=second),
            ],
        )
        assert reminder.next_run_at == first - timedelta(hours=24)
    with time_machine.travel(first - timedelta(hours=24) + timedelta(seconds=1), tick=False):
        run_tasks()
        by_number = {r.identifier: r for r in Recipient.objects.all()}
        assert by_number["+14255551001"].attempts_made == 1
        assert by_number["+14255551002"].attempts_made == 0
        assert by_number["+14255551002"].next_attempt_at == second - timedelta(hours=24)
    with time_machine.travel(second - timedelta(hours=24) + timedelta(seconds=1), tick=False):
        run_tasks()
    assert Recipient.objects.get(identifier="+14255551002").attempts_made == 1


def test_a_weekly_drill_makes_one_run_per_occurrence_even_when_fired_again(
    pool: Any, provider: FakeProvider
) -> None:
    with time_machine.travel(MONDAY_9 - timedelta(days=1), tick=False):
        reminder = make_reminder(
            "+14255551001",
            starts_at=MONDAY_9,
            time_zone="Europe/Paris",
            repeat=Repeat.WEEKLY,
            is_drill=True,
        )
    with time_machine.travel(MONDAY_9 + timedelta(seconds=2), tick=False):
        run_tasks()
        # The same task run again (a worker restarted), and the sweep: no second run.
        assert fire_due(reminder_id=reminder.pk) is None
        assert recover_reminders() == 0
        run_tasks()
    assert ReminderRun.objects.count() == 1
    assert ReminderRun.objects.get().incident.kind == IncidentKind.DRILL
    reminder.refresh_from_db()
    # A week later, 09:00 in Paris again (here across no DST change; the wall time is kept).
    assert reminder.next_run_at == datetime(2027, 1, 11, 9, 0, tzinfo=PARIS)
    with time_machine.travel(datetime(2027, 1, 11, 9, 0, 1, tzinfo=PARIS), tick=False):
        run_tasks()
    assert ReminderRun.objects.count() == 2


def test_a_firing_lost_with_its_worker_is_recovered_once(pool: Any, provider: FakeProvider) -> None:
    with time_machine.travel(MONDAY_9 - timedelta(days=1), tick=False):
        reminder = make_reminder("+14255551001", starts_at=MONDAY_9, repeat=Repeat.WEEKLY)
    # A worker took the task and was killed: it stays "running" for ever.
    DBTaskResult.objects.filter(task_path="reminders.tasks.fire_reminder").update(
        status=TaskResultStatus.RUNNING
    )
    with time_machine.travel(MONDAY_9 + timedelta(seconds=3), tick=False):
        assert recover_reminders() == 1
        assert recover_reminders() == 0  # one waits now
        run_tasks()
        assert recover_reminders() == 0
    assert ReminderRun.objects.filter(reminder=reminder).count() == 1


def test_a_drill_keeps_its_wall_time_across_dst() -> None:
    from reminders.services.timing import next_occurrence

    reminder = Reminder(
        starts_at=datetime(2027, 3, 22, 9, 0, tzinfo=PARIS),
        time_zone="Europe/Paris",
        repeat="weekly",
    )
    after = next_occurrence(reminder, datetime(2027, 3, 22, 9, 0, tzinfo=PARIS))
    assert after == datetime(2027, 3, 29, 9, 0, tzinfo=PARIS)
    assert after is not None and after.utcoffset() == timedelta(hours=2)


def test_a_firing_refused_for_want_of_a_caller_number_is_tried_again_later(
    provider: FakeProvider, settings: Any
) -> None:
    settings.ACS_CALLER_ID = ""
    with time_machine.travel(MONDAY_9, tick=False):
        reminder = make_reminder("+14255551001", starts_at=MONDAY_9)
        run_tasks()
        assert not ReminderRun.objects.exists()
        assert recover_reminders() == 0  # its retry waits
    settings.ACS_CALLER_ID = "+14255550009"
    with time_machine.travel(MONDAY_9 + timedelta(seconds=31), tick=False):
        run_tasks()
    assert ReminderRun.objects.filter(reminder=reminder).count() == 1
