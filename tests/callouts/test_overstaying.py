"""Calls that outstay their answer are hung up: the answer window, and a lost confirmation."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from callouts.models import Outcome, RecipientStatus
from callouts.services.keypad import CONFIRMATION_GRACE
from callouts.services.overstaying import hang_up_overstaying
from calls.models import Call, CallState, ParticipantState
from tests.callouts.lines import Lines, answered, attempt_of, state, tone
from tests.factories import AttemptFactory, AudioPromptFactory, ParticipantFactory
from tests.provider_fake import FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


def connected_call(lines: Lines, provider: FakeProvider, window: int = 60) -> Call:
    """A call-out call answered by its person, its prompt playing on a loop."""
    made = AttemptFactory.create(
        call__prompt=AudioPromptFactory.create(), recipient__callout__answer_window_seconds=window
    )
    call: Call = made.call
    ParticipantFactory.create(
        call=call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    lines.run(lines.deliver(call, *answered(call)))
    provider.requests.clear()
    return call


def hang_ups(provider: FakeProvider) -> int:
    return len(provider.sent("terminate"))


def test_an_answered_call_without_a_key_is_hung_up_after_the_answer_window(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider, window=60)
    attempt = attempt_of(call)
    assert attempt.hang_up_at is not None
    assert timedelta(seconds=59) < attempt.hang_up_at - timezone.now() <= timedelta(seconds=60)

    assert hang_up_overstaying(now=attempt.hang_up_at - timedelta(seconds=1)) == 0
    assert hang_ups(provider) == 0
    assert hang_up_overstaying(now=attempt.hang_up_at + timedelta(seconds=1)) == 1
    assert hang_ups(provider) == 1
    call.refresh_from_db()
    assert call.state == CallState.TERMINATING

    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.ANSWERED_NO_KEY
    assert attempt.ended_at is not None
    # Hung up once: a call that is ending (or ended) is not hung up again.
    assert hang_up_overstaying(now=attempt.hang_up_at + timedelta(hours=1)) == 0
    assert hang_ups(provider) == 1


def test_an_answer_whose_confirmation_never_ended_the_call_is_hung_up_after_the_grace(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider, window=600)
    lines.deliver(call, tone(call, "1"))  # recorded; what it hands aside is lost
    attempt = attempt_of(call)
    assert attempt.outcome == Outcome.ACKNOWLEDGED
    assert attempt.hang_up_at is not None
    # The answer's grace replaces the (longer) answer window.
    assert attempt.hang_up_at - timezone.now() <= CONFIRMATION_GRACE

    assert hang_up_overstaying(now=attempt.hang_up_at - timedelta(seconds=1)) == 0
    assert hang_up_overstaying(now=attempt.hang_up_at + timedelta(seconds=1)) == 1

    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.ACKNOWLEDGED  # the key's answer stands
    assert attempt.recipient.status == RecipientStatus.ACKNOWLEDGED


def test_a_hang_up_the_provider_fails_is_tried_again_on_the_next_sweep(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    deadline = attempt_of(call).hang_up_at
    assert deadline is not None
    late = deadline + timedelta(seconds=1)
    provider.responses.append(httpx.Response(500, json={"error": {"message": "Down."}}))

    assert hang_up_overstaying(now=late) == 0
    call.refresh_from_db()
    assert call.state == CallState.ESTABLISHED
    assert hang_up_overstaying(now=late) == 1
    assert hang_ups(provider) == 2


def test_calls_not_yet_answered_have_no_deadline(provider: FakeProvider) -> None:
    attempt = AttemptFactory.create(call__state=CallState.ESTABLISHING)
    assert attempt.hang_up_at is None
    assert hang_up_overstaying(now=timezone.now() + timedelta(days=1)) == 0
    assert provider.operations() == []
