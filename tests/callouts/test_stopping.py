"""Stopping a call-out: by quorum, by an operator, by the incident closing."""

from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User

from callouts.errors import CalloutNotRunning
from callouts.models import Attempt, Callout, CalloutState, Outcome, RecipientStatus, StopReason
from callouts.services import stop_callout
from calls.models import Call, CallMode, CallState, ParticipantState
from incidents.models import TimelineKind
from incidents.services import cancel_incident, resolve_incident
from tests.callouts.lines import Lines, answered, attempt_of, played
from tests.factories import (
    AttemptFactory,
    AudioPromptFactory,
    CallFactory,
    CalloutFactory,
    ParticipantFactory,
    RecipientFactory,
)
from tests.provider_fake import FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


class Everyone:
    """A call-out part-way: two people on the line, one ringing, one whose call is not placed
    yet, and two still waiting their turn."""

    def __init__(self, lines: Lines, provider: FakeProvider, **callout: Any) -> None:
        self.callout = CalloutFactory.create(**callout)
        prompt = AudioPromptFactory.create()
        self.on_line = [self._attempt(prompt) for _ in range(2)]
        for attempt in self.on_line:
            lines.run(lines.deliver(attempt.call, *answered(attempt.call)))
        self.ringing = self._attempt(prompt)
        self.unplaced = self._attempt(
            prompt, call__state=CallState.PENDING, call__provider_call_id=""
        )
        self.waiting = RecipientFactory.create_batch(2, callout=self.callout)
        provider.requests.clear()

    def _attempt(self, prompt: Any, **call: Any) -> Attempt:
        attempt: Attempt = AttemptFactory.create(
            recipient__callout=self.callout, call__prompt=prompt, **call
        )
        ParticipantFactory.create(
            call=attempt.call,
            identifier=attempt.recipient.identifier,
            state=ParticipantState.RINGING,
        )
        return attempt

    def refreshed(self) -> "Everyone":
        self.callout.refresh_from_db()
        for attempt in [*self.on_line, self.ringing, self.unplaced]:
            attempt.refresh_from_db()
            attempt.call.refresh_from_db()
            attempt.recipient.refresh_from_db()
        for recipient in self.waiting:
            recipient.refresh_from_db()
        return self


def hung_up_legs(provider: FakeProvider) -> list[str]:
    return provider.calls_asked("terminate")


def test_the_acknowledgement_that_reaches_the_quorum_stops_the_rest_and_hangs_up_the_ringing(
    lines: Lines, provider: FakeProvider
) -> None:
    everyone = Everyone(lines, provider, quorum=2)
    first, second = everyone.on_line
    lines.press(first.call, "1")
    assert Callout.objects.get().state == CalloutState.RUNNING  # one of two
    provider.requests.clear()
    lines.press(second.call, "1")

    everyone.refreshed()
    assert (everyone.callout.state, everyone.callout.stop_reason) == (
        CalloutState.STOPPED,
        StopReason.QUORUM,
    )
    assert everyone.callout.finished_at is not None
    assert {r.status for r in everyone.waiting} == {RecipientStatus.STOPPED}
    assert (everyone.unplaced.outcome, everyone.unplaced.call.state) == (
        Outcome.CANCELLED,
        CallState.TERMINATED,
    )
    assert everyone.unplaced.ended_at is not None
    assert everyone.ringing.outcome == Outcome.CANCELLED
    assert everyone.ringing.ended_at is None  # it holds its number's slot until the call ends
    assert everyone.ringing.recipient.status == RecipientStatus.STOPPED
    # Only the ringing call is hung up; the two who answered hear their confirmation first.
    assert hung_up_legs(provider) == [everyone.ringing.call.provider_call_id]
    assert [a.outcome for a in everyone.on_line] == [Outcome.ACKNOWLEDGED] * 2
    line = everyone.callout.incident.timeline.filter(kind=TimelineKind.STATUS).get()
    assert line.text == (
        "The system stopped the call-out (2 people acknowledged, its quorum): 3 people still "
        "waiting were not called; hanging up 1 call still ringing or on the line."
    )


def test_below_the_quorum_a_decline_stops_nothing(lines: Lines, provider: FakeProvider) -> None:
    everyone = Everyone(lines, provider, quorum=1)
    lines.press(everyone.on_line[0].call, "2")
    assert Callout.objects.get().state == CalloutState.RUNNING
    assert hung_up_legs(provider) == []


def test_an_operator_stops_the_call_out_and_everyone_not_answered_is_hung_up(
    lines: Lines, provider: FakeProvider, operator: User, listen: Any
) -> None:
    everyone = Everyone(lines, provider)
    answered_by_key = everyone.on_line[0]
    lines.press(answered_by_key.call, "1")
    provider.requests.clear()
    listener = listen(everyone.callout.incident_id)

    with lines.capture(execute=True):
        stopped = stop_callout(callout=everyone.callout, reason=StopReason.OPERATOR, actor=operator)

    assert (stopped.waiting, stopped.not_hung_up) == (3, [])
    everyone.refreshed()
    assert everyone.callout.stop_reason == StopReason.OPERATOR
    assert sorted(hung_up_legs(provider)) == sorted(
        [everyone.on_line[1].call.provider_call_id, everyone.ringing.call.provider_call_id]
    )
    assert everyone.on_line[1].outcome == Outcome.CANCELLED
    assert answered_by_key.outcome == Outcome.ACKNOWLEDGED
    line = everyone.callout.incident.timeline.get(kind=TimelineKind.STATUS)
    assert line.actor == operator and line.text.startswith(
        "Operator stopped the call-out (by hand): 3 people still waiting were not called; "
        "hanging up 2 calls"
    )
    counts = [e["data"] for e in listener.drain() if e["kind"] == "callout"]
    assert counts[-1]["state"] == "stopped"
    assert counts[-1]["counts"]["stopped"] == 5  # waiting, unplaced, ringing, the unanswered

    with pytest.raises(CalloutNotRunning) as refused:
        stop_callout(callout=everyone.callout, reason=StopReason.OPERATOR, actor=operator)
    assert refused.value.status_code == 409


def test_a_hang_up_the_provider_fails_is_returned_and_told_and_the_others_are_tried(
    lines: Lines, provider: FakeProvider, operator: User
) -> None:
    everyone = Everyone(lines, provider)
    provider.responses = [httpx.Response(503)]  # the first hang-up (the lowest call id)
    with lines.capture(execute=True):
        stopped = stop_callout(callout=everyone.callout, reason=StopReason.OPERATOR, actor=operator)
    (failed,) = stopped.not_hung_up
    assert failed.call == everyone.on_line[0].call
    assert everyone.on_line[0].recipient.identifier in failed.message
    assert len(hung_up_legs(provider)) == 3  # every call was tried
    assert Callout.objects.get().state == CalloutState.STOPPED
    error = everyone.callout.incident.timeline.get(kind=TimelineKind.ERROR)
    assert "Hang it up again" in error.text


@pytest.mark.parametrize("close", [resolve_incident, cancel_incident])
def test_closing_the_incident_stops_its_call_out_and_hangs_up_every_call(
    lines: Lines, provider: FakeProvider, operator: User, close: Any
) -> None:
    everyone = Everyone(lines, provider)
    confirming = everyone.on_line[0]
    lines.press(confirming.call, "1")
    bridge = CallFactory.create(
        incident=everyone.callout.incident, mode=CallMode.BRIDGE, state=CallState.ESTABLISHED
    )
    provider.requests.clear()

    with lines.capture(execute=True):
        closed = close(incident=everyone.callout.incident, actor=operator)

    assert closed.not_hung_up == []
    everyone.refreshed()
    assert everyone.callout.stop_reason == StopReason.INCIDENT_CLOSED
    # The call-out's unanswered calls, then the rest: the one confirming and the bridge.
    legs = hung_up_legs(provider)
    assert sorted(legs) == sorted(
        [
            *(a.call.provider_call_id for a in [*everyone.on_line, everyone.ringing]),
            bridge.provider_call_id,
        ]
    )
    assert len(legs) == len(set(legs))  # each tried once
    assert everyone.unplaced.call.state == CallState.TERMINATED
    assert not Call.objects.filter(state=CallState.PENDING).exists()


def test_closing_an_incident_whose_call_out_has_finished_stops_nothing(
    provider: FakeProvider, operator: User, django_capture_on_commit_callbacks: Any
) -> None:
    callout = CalloutFactory.create(state=CalloutState.FINISHED, finished_at="2026-01-01T00:00Z")
    resolve_incident(incident=callout.incident, actor=operator)
    callout.refresh_from_db()
    assert (callout.state, callout.stop_reason) == (CalloutState.FINISHED, "")


def test_a_late_confirmation_after_the_stop_still_ends_its_call(
    lines: Lines, provider: FakeProvider
) -> None:
    everyone = Everyone(lines, provider, quorum=1)
    call = everyone.on_line[0].call
    lines.press(call, "1")
    (play,) = provider.played()
    assert Callout.objects.get().state == CalloutState.STOPPED
    provider.requests.clear()
    lines.run(lines.deliver(call, played(call, play.context)))
    assert hung_up_legs(provider) == [call.provider_call_id]
    assert attempt_of(call).outcome == Outcome.ACKNOWLEDGED
