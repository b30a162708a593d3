"""Key 3 on a reminder's call: "call me back later" is recorded, confirmed aloud, and the
person is tried again after the policy's wait, outside the quiet hours."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import time_machine

from callouts.models import Attempt, Outcome, RecipientStatus
from calls.models import Call
from reminders.selectors import Answer, confirmations
from tests.callouts.conftest import run_tasks
from tests.callouts.lines import Lines, answered, state
from tests.provider_fake import FakeProvider
from tests.reminders.conftest import make_reminder

T0 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def test_3_asks_to_be_called_back_and_they_are_tried_again_after_the_wait(
    pool: Any, provider: FakeProvider, django_capture_on_commit_callbacks: Any
) -> None:
    lines = Lines(django_capture_on_commit_callbacks)
    with time_machine.travel(T0, tick=False):
        reminder = make_reminder(
            "+14255551001", starts_at=T0, quiet_start=time(21), quiet_end=time(8)
        )
        run_tasks()
        call = Call.objects.get()
        lines.run(lines.deliver(call, *answered(call)))
        provider.requests.clear()
        lines.press(call, "3")
        attempt = Attempt.objects.get()
        assert attempt.outcome == Outcome.CALL_BACK
        assert attempt.recipient.status == RecipientStatus.DIALLING  # until the call ends
        plays = provider.played()
        assert plays and "confirm-call-back" in plays[-1].source
        lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    recipient = Attempt.objects.get().recipient
    assert recipient.status == RecipientStatus.PENDING
    assert recipient.next_attempt_at == T0 + timedelta(seconds=300)
    assert [row.answer for row in confirmations(reminder)] == [Answer.CALL_BACK]
    with time_machine.travel(T0 + timedelta(seconds=301), tick=False):
        run_tasks()
    assert Attempt.objects.count() == 2
