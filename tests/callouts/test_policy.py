"""The policy, attempt by attempt: who is called again, when, and who never again."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from callouts.models import (
    Attempt,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
    StopReason,
)
from callouts.policy import Rules
from calls.models import Call
from calls.services import apply_pending_events
from tests.callouts.conftest import (
    answer_and_hang_up,
    call_state,
    deliver,
    queued,
    ring_out,
    run_tasks,
    start_callout,
)
from tests.calls.test_callbacks_ga import cloud_event
from tests.factories import CallEventFactory
from tests.provider_callbacks import callback
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _only_attempt(recipient: Recipient) -> Attempt:
    return recipient.attempts.order_by("-number").first()  # type: ignore[return-value]


def _started(people: int = 1, **rules: Any) -> Callout:
    with time_machine.travel(T0, tick=False):
        callout = start_callout(people, rules=Rules(**rules))
        run_tasks()
    return callout


def _person(callout: Callout) -> Recipient:
    return callout.recipients.get(position=1)


def test_no_answer_is_tried_again_after_the_wait_and_not_before(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _started(max_attempts=3, retry_wait_seconds=300)
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        ring_out(_only_attempt(_person(callout)))
        assert run_tasks() == ["pace_callout"]  # nobody due: it plans its next wake-up
    person = _person(callout)
    assert person.status == RecipientStatus.PENDING
    assert person.next_attempt_at == T0 + timedelta(seconds=330)
    assert [t.run_after for t in queued("pace_callout")] == [T0 + timedelta(seconds=330)]
    with time_machine.travel(T0 + timedelta(seconds=329), tick=False):
        run_tasks()
    assert person.attempts.count() == 1 and len(provider.operations()) == 1
    with time_machine.travel(T0 + timedelta(seconds=331), tick=False):
        run_tasks()
    second = _only_attempt(person)
    assert second.number == 2 and second.call.state == "establishing"
    first_id, second_id = (r.headers["Repeatability-Request-ID"] for r in provider.requests)
    assert first_id != second_id  # a new try is a new call, not a repeat of the first
    person.refresh_from_db()
    assert (person.status, person.attempts_made) == (RecipientStatus.DIALLING, 2)


def test_answered_without_a_key_counts_as_not_reached_and_is_retried(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _started(max_attempts=2, retry_wait_seconds=60)
    answer_and_hang_up(_only_attempt(_person(callout)))
    attempt = _only_attempt(_person(callout))
    assert attempt.outcome == Outcome.ANSWERED_NO_KEY and attempt.answered_at is not None
    assert _person(callout).status == RecipientStatus.PENDING


def _record_key(attempt: Attempt, outcome: Outcome, status: RecipientStatus) -> None:
    """What the keypad does when the person presses an answering key."""
    Attempt.objects.filter(pk=attempt.pk).update(outcome=outcome, keys="1")
    Recipient.objects.filter(pk=attempt.recipient_id).update(status=status)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.ACKNOWLEDGED, RecipientStatus.ACKNOWLEDGED),
        (Outcome.DECLINED_BY_KEY, RecipientStatus.DECLINED),
    ],
)
def test_an_answer_by_key_is_final_and_that_person_is_never_called_again(
    pool: Any, provider: FakeProvider, outcome: Outcome, status: RecipientStatus
) -> None:
    callout = _started(max_attempts=3, retry_wait_seconds=0)
    attempt = _only_attempt(_person(callout))
    _record_key(attempt, outcome, status)
    answer_and_hang_up(attempt)
    attempt.refresh_from_db()
    assert attempt.outcome == outcome and attempt.ended_at is not None
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        run_tasks()
    person = _person(callout)
    assert (person.status, person.attempts.count(), len(provider.operations())) == (status, 1, 1)
    callout.refresh_from_db()
    assert callout.state == CalloutState.FINISHED


def test_nobody_is_tried_more_often_than_max_attempts(pool: Any, provider: FakeProvider) -> None:
    callout = _started(max_attempts=2, retry_wait_seconds=0)
    for _ in range(2):
        ring_out(_only_attempt(_person(callout)))
        run_tasks()
    person = _person(callout)
    assert person.status == RecipientStatus.NOT_REACHED
    assert list(person.attempts.values_list("number", "outcome")) == [
        (1, Outcome.NO_ANSWER),
        (2, Outcome.NO_ANSWER),
    ]
    assert len(provider.operations()) == 2
    callout.refresh_from_db()
    assert callout.state == CalloutState.FINISHED


def test_an_outcome_the_policy_does_not_retry_is_not_retried(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _started(max_attempts=3, retry_wait_seconds=0, retry_outcomes=["busy"])
    ring_out(_only_attempt(_person(callout)))
    run_tasks()
    person = _person(callout)
    assert (person.status, person.attempts.count()) == (RecipientStatus.NOT_REACHED, 1)


def test_a_busy_signal_the_event_reports_is_told_apart_and_retried_as_the_policy_says(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _started(max_attempts=3, retry_wait_seconds=0, retry_outcomes=["busy"])
    call = Call.objects.get(pk=_only_attempt(_person(callout)).call_id)
    deliver(call, callback("CreateCallFailed", call=call, code=486, message="Busy"))
    assert list(_person(callout).attempts.values_list("outcome", flat=True)) == [Outcome.BUSY]
    run_tasks()
    assert _person(callout).attempts.count() == 2


def test_an_attempt_ended_after_the_call_out_stopped_is_cancelled(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _started(max_attempts=3, retry_wait_seconds=0)
    Callout.objects.filter(pk=callout.pk).update(
        state=CalloutState.STOPPED, stop_reason=StopReason.OPERATOR, finished_at=T0
    )
    ring_out(_only_attempt(_person(callout)))
    assert _only_attempt(_person(callout)).outcome == Outcome.CANCELLED
    assert _person(callout).status == RecipientStatus.STOPPED
    assert run_tasks() == []


def test_a_redelivered_end_of_call_settles_nothing_twice(pool: Any, provider: FakeProvider) -> None:
    callout = _started(max_attempts=2, retry_wait_seconds=600)
    attempt = _only_attempt(_person(callout))
    ring_out(attempt)
    ended = Attempt.objects.get(pk=attempt.pk).ended_at
    call = Call.objects.get(pk=attempt.call_id)
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        deliver(call, call_state(call, "CallDisconnected"))
    assert Attempt.objects.get(pk=attempt.pk).ended_at == ended
    person = _person(callout)
    assert person.status == RecipientStatus.PENDING and person.attempts_made == 1


def test_each_attempt_keeps_its_own_times_and_the_caller_number_it_used(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _started(max_attempts=1)
    with time_machine.travel(T0 + timedelta(seconds=42), tick=False):
        answer_and_hang_up(_only_attempt(_person(callout)))
    attempt = _only_attempt(_person(callout))
    assert attempt.claimed_at == T0 and attempt.ended_at == T0 + timedelta(seconds=42)
    assert provider.caller_ids() == [attempt.caller_number.number]


@pytest.mark.dialect("ga")  # stores a GA CloudEvent as it came
@pytest.mark.parametrize(("sip", "outcome"), [(603, Outcome.DECLINED), (486, Outcome.BUSY)])
def test_a_ga_refusal_is_told_apart_by_the_sip_code_it_names(
    pool: Any, provider: FakeProvider, sip: int, outcome: Outcome
) -> None:
    callout = _started(max_attempts=3, retry_wait_seconds=0)
    call = Call.objects.get(pk=_only_attempt(_person(callout)).call_id)
    result = {"code": sip, "subCode": 0, "message": "No", "sipDetails": {"code": sip}}
    failed = cloud_event("CreateCallFailed", resultInformation=result)
    CallEventFactory.create(call=call, event_type=failed["type"], payload=failed)
    apply_pending_events()
    assert list(_person(callout).attempts.values_list("outcome", flat=True)) == [outcome]
