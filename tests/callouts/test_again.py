"""The operator's "ring again" for one person of a call-out."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django_tasks_db.models import DBTaskResult

from callouts.errors import CannotRingRecipientAgain
from callouts.models import CalloutState, RecipientStatus, StopReason
from callouts.services import ring_recipient_again
from callouts.tasks import pace_callout
from incidents.models import IncidentStatus, TimelineKind
from tests.factories import CalloutFactory, RecipientFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def paced() -> list[list[int]]:
    return [
        row.args_kwargs["args"]
        for row in DBTaskResult.objects.filter(task_path=pace_callout.module_path)
    ]


@time_machine.travel(NOW, tick=False)
def test_someone_not_reached_is_rung_once_more_and_a_finished_call_out_runs_again(
    operator: User,
) -> None:
    callout = CalloutFactory.create(state=CalloutState.FINISHED, finished_at=NOW, max_attempts=3)
    recipient = RecipientFactory.create(
        callout=callout, status=RecipientStatus.NOT_REACHED, attempts_made=3
    )

    again = ring_recipient_again(recipient=recipient, actor=operator)

    assert (again.status, again.next_attempt_at) == (RecipientStatus.PENDING, NOW)
    assert again.attempts_made == 3  # the next try is its fourth, one past the policy
    callout.refresh_from_db()
    assert (callout.state, callout.finished_at) == (CalloutState.RUNNING, None)
    assert paced() == [[callout.pk]]
    line = callout.incident.timeline.get(kind=TimelineKind.ACTION)
    assert line.text == f"Operator asked to ring {recipient} again (attempt 4)."
    assert line.actor == operator


@pytest.mark.parametrize(
    "status", [RecipientStatus.ACKNOWLEDGED, RecipientStatus.DECLINED, RecipientStatus.FAILED]
)
def test_anyone_whose_attempts_are_over_can_be_rung_again(operator: User, status: str) -> None:
    recipient = RecipientFactory.create(status=status, attempts_made=1)
    assert ring_recipient_again(recipient=recipient, actor=operator).status == "pending"


@time_machine.travel(NOW, tick=False)
def test_someone_waiting_for_their_retry_is_rung_now(operator: User) -> None:
    recipient = RecipientFactory.create(
        status=RecipientStatus.PENDING,
        attempts_made=1,
        next_attempt_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert ring_recipient_again(recipient=recipient, actor=operator).next_attempt_at == NOW


@pytest.mark.parametrize(
    ("status", "attempts", "says"),
    [
        (RecipientStatus.DIALLING, 1, "is being called right now"),
        (RecipientStatus.PENDING, 0, "has not been called yet"),
    ],
)
def test_someone_being_called_or_waiting_their_first_turn_is_not_rung_again(
    operator: User, status: str, attempts: int, says: str
) -> None:
    recipient = RecipientFactory.create(status=status, attempts_made=attempts)
    with pytest.raises(CannotRingRecipientAgain, match=says) as refused:
        ring_recipient_again(recipient=recipient, actor=operator)
    assert refused.value.status_code == 409
    recipient.refresh_from_db()
    assert recipient.status == status
    assert paced() == []


def test_nobody_is_rung_again_once_the_call_out_was_stopped(operator: User) -> None:
    callout = CalloutFactory.create(
        state=CalloutState.STOPPED, stop_reason=StopReason.QUORUM, finished_at=NOW
    )
    recipient = RecipientFactory.create(callout=callout, status=RecipientStatus.STOPPED)
    with pytest.raises(CannotRingRecipientAgain, match="was stopped .enough people acknowledged"):
        ring_recipient_again(recipient=recipient, actor=operator)
    assert paced() == []


def test_nobody_is_rung_again_once_the_incident_closed(operator: User) -> None:
    callout = CalloutFactory.create(
        incident__status=IncidentStatus.RESOLVED,
        incident__closed_at=NOW,
        state=CalloutState.FINISHED,
        finished_at=NOW,
    )
    recipient = RecipientFactory.create(callout=callout, status=RecipientStatus.NOT_REACHED)
    with pytest.raises(CannotRingRecipientAgain, match="The incident is resolved"):
        ring_recipient_again(recipient=recipient, actor=operator)
    callout.refresh_from_db()
    assert callout.state == CalloutState.FINISHED
