"""Placing attempts: refusals settle them with the provider's words, transient failures repeat
the same request, and nothing is sent twice or after the call-out stopped."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from callouts.models import Attempt, Callout, CalloutState, Outcome, RecipientStatus
from callouts.policy import Rules
from callouts.services.pacing import plan_round
from callouts.services.placing import RESEND_AFTER, place
from callouts.tasks import place_attempt
from calls.models import CallState
from tests.callouts.conftest import queued, run_tasks, start_callout
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _refusal(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def _paced(people: int = 1, **rules: Any) -> Callout:
    """A call-out whose attempts exist, their create-calls queued (as a pacer hands on those
    it does not send itself), not sent yet."""
    callout = start_callout(people, rules=Rules(**rules))
    round_ = plan_round(callout_id=callout.pk)
    assert round_.started == people
    for attempt_id, slot in round_.to_place:
        place_attempt.using(run_after=slot).enqueue(attempt_id)
    return callout


def test_a_refused_create_call_fails_the_attempt_with_the_providers_code_and_message(
    pool: Any, provider: FakeProvider
) -> None:
    provider.responses.append(_refusal(400, "8523", "Invalid target for this resource."))
    with time_machine.travel(T0, tick=False):
        callout = start_callout(1, rules=Rules(max_attempts=2, retry_wait_seconds=120))
        run_tasks()
    attempt = Attempt.objects.get()
    assert (attempt.outcome, attempt.provider_code) == (Outcome.FAILED, "8523")
    assert attempt.provider_message == "Invalid target for this resource."
    assert attempt.ended_at == T0 and attempt.call.state == CallState.FAILED
    person = callout.recipients.get()
    assert person.status == RecipientStatus.PENDING  # failed is retried by default
    assert person.next_attempt_at == T0 + timedelta(seconds=120)

    provider.responses.append(_refusal(400, "8523", "Invalid target for this resource."))
    with time_machine.travel(T0 + timedelta(seconds=121), tick=False):
        run_tasks()
    person.refresh_from_db()
    assert person.status == RecipientStatus.FAILED  # twice refused: no attempts left
    assert list(person.attempts.values_list("number", "outcome")) == [
        (1, Outcome.FAILED),
        (2, Outcome.FAILED),
    ]
    ids = {r.headers["Repeatability-Request-ID"] for r in provider.requests}
    assert len(ids) == 2
    callout.refresh_from_db()
    assert callout.state == CalloutState.FINISHED


def test_a_transient_failure_sends_the_same_request_again_after_a_pause(
    pool: Any, provider: FakeProvider
) -> None:
    provider.responses.append(_refusal(503, "ServiceUnavailable", "Try again."))
    with time_machine.travel(T0, tick=False):
        _paced()
        run_tasks()
        attempt = Attempt.objects.get()
        assert attempt.ended_at is None and attempt.claimed_at is None
        assert [t.run_after for t in queued("place_attempt")] == [T0 + RESEND_AFTER]
    with time_machine.travel(T0 + RESEND_AFTER, tick=False):
        run_tasks()
    attempt.refresh_from_db()
    assert attempt.call.state == CallState.ESTABLISHING and attempt.ended_at is None
    first, second = (r.headers for r in provider.requests)
    assert first["Repeatability-Request-ID"] == second["Repeatability-Request-ID"]
    assert first["Repeatability-First-Sent"] == second["Repeatability-First-Sent"]
    assert str(attempt.call.create_request_id) == first["Repeatability-Request-ID"]


def test_a_throttled_create_call_comes_back_when_the_provider_says(
    pool: Any, provider: FakeProvider
) -> None:
    throttled = _refusal(429, "TooManyRequests", "Slow down.")
    throttled.headers["Retry-After"] = "30"
    provider.responses.append(throttled)
    with time_machine.travel(T0, tick=False):
        _paced()
        run_tasks()
    assert [t.run_after for t in queued("place_attempt")] == [T0 + timedelta(seconds=30)]


def test_past_the_repeatability_window_an_unsure_create_call_is_not_sent_again(
    pool: Any, provider: FakeProvider
) -> None:
    provider.responses.append(_refusal(503, "ServiceUnavailable", "Try again."))
    with time_machine.travel(T0, tick=False):
        callout = _paced(max_attempts=1)
        run_tasks()
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        place(attempt_id=Attempt.objects.get().pk)
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.FAILED and "five minutes" in attempt.provider_message
    assert len(provider.operations()) == 1
    assert callout.recipients.get().status == RecipientStatus.FAILED


def test_an_attempt_is_placed_once_however_often_its_task_runs(
    pool: Any, provider: FakeProvider
) -> None:
    _paced()
    attempt = Attempt.objects.get()
    for _ in range(3):
        place(attempt_id=attempt.pk)
    assert len(provider.operations()) == 1


def test_an_attempt_a_live_worker_is_sending_is_left_to_it(
    pool: Any, provider: FakeProvider
) -> None:
    _paced()
    with time_machine.travel(T0, tick=False):
        Attempt.objects.update(claimed_at=T0)
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        place(attempt_id=Attempt.objects.get().pk)
    assert provider.operations() == []


def test_an_attempt_whose_call_out_stopped_before_it_was_placed_is_cancelled(
    pool: Any, provider: FakeProvider
) -> None:
    callout = _paced()
    Callout.objects.filter(pk=callout.pk).update(state=CalloutState.STOPPED, finished_at=T0)
    run_tasks()
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.CANCELLED and provider.operations() == []
    assert attempt.call.state == CallState.TERMINATED  # never placed: ended here
    assert callout.recipients.get().status == RecipientStatus.STOPPED
