"""A phone that rings and rings: the ring sweep hangs the attempt's call up, so that its caller
number's slot frees once the provider has ended it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from callouts.models import Attempt, Outcome, RecipientStatus
from callouts.policy import Rules
from calls.models import Call, CallState, ParticipantState
from calls.services import expire_unanswered
from tests.callouts.conftest import call_state, deliver, in_flight, run_tasks, start_callout
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def _ringing(settings: Any) -> Attempt:
    settings.RING_TIMEOUT_SECONDS = 60
    with time_machine.travel(T0, tick=False):
        start_callout(1, rules=Rules(max_attempts=1))
        run_tasks()
    attempt = Attempt.objects.select_related("call").get()
    assert attempt.call.participants.get().state == ParticipantState.RINGING
    return attempt


def test_a_call_nobody_answers_is_hung_up_and_then_frees_its_slot(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    attempt = _ringing(settings)
    assert expire_unanswered(now=T0 + timedelta(seconds=59)) == 0
    assert provider.operations()[-1] == "create_call"
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert expire_unanswered() == 1
    call = Call.objects.get(pk=attempt.call_id)
    assert provider.operations()[-1] == "terminate"
    assert provider.calls_asked("terminate") == [call.provider_call_id]
    assert call.state == CallState.TERMINATING
    assert in_flight() == {attempt.caller_number.number: 1}  # until the provider ends it
    deliver(call, call_state(call, "CallDisconnected"))
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.NO_ANSWER and in_flight() == {}
    assert attempt.recipient.status == RecipientStatus.NOT_REACHED
    with time_machine.travel(T0 + timedelta(seconds=120), tick=False):
        expire_unanswered()
    assert len(provider.operations()) == 2  # hung up once


def test_a_hang_up_the_provider_failed_is_tried_again_on_the_next_sweep(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    attempt = _ringing(settings)
    provider.responses.append(httpx.Response(500, json={"error": {"code": "x", "message": "no"}}))
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        expire_unanswered()
    assert Call.objects.get(pk=attempt.call_id).state == CallState.ESTABLISHING
    with time_machine.travel(T0 + timedelta(seconds=66), tick=False):
        expire_unanswered()
    assert Call.objects.get(pk=attempt.call_id).state == CallState.TERMINATING
    assert provider.operations()[1:] == ["terminate", "terminate"]
