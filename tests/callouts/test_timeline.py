"""A call-out's attempts are quiet: no call or participant events, one timeline line per
outcome, and the call-out's own lines; the provider's every event is still stored."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from callouts.models import Attempt, Callout, CalloutState, RecipientStatus
from callouts.policy import Rules
from callouts.selectors import callout_progress
from calls.models import Call, CallState, ParticipantState
from incidents.models import TimelineKind
from tests.callouts.conftest import ring_out, run_tasks, start_callout
from tests.callouts.lines import Lines, answered, played, state, tone
from tests.conftest import Listener
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db
PERSON = "+14255551000"  # start_callout's first number


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


def timeline(callout: Callout) -> list[tuple[str, str]]:
    return list(callout.incident.timeline.order_by("id").values_list("kind", "text"))


def placed(callout: Callout, lines: Lines) -> Call:
    """Its first recipient's attempt placed (the tasks run, their broadcasts sent)."""
    with lines.capture(execute=True):
        run_tasks()
    return Attempt.objects.get(recipient__callout=callout, recipient__position=1).call


def test_an_attempts_whole_life_adds_one_line_and_no_call_or_participant_event(
    pool: Any,
    provider: FakeProvider,
    lines: Lines,
    listen: Callable[[int], Listener],
) -> None:
    callout = start_callout(1, rules=Rules(max_attempts=3))
    dashboard = listen(callout.incident_id)
    call = placed(callout, lines)
    assert call.quiet

    lines.run(lines.deliver(call, *answered(call)))  # its prompt plays
    lines.press(call, "1")  # the confirmation plays
    context = provider.played()[-1].context
    lines.run(lines.deliver(call, played(call, context)))  # which hangs up
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))

    assert timeline(callout) == [
        (TimelineKind.STATUS, "Declared (major) by the system; calling 1 person one by one."),
        (TimelineKind.KEYPRESS, f"{PERSON} acknowledged (attempt 1 of 3, key 1)."),
        (
            TimelineKind.STATUS,
            "The call-out finished: its one person was tried as its policy says (1 acknowledged).",
        ),
    ]
    kinds = {event["kind"] for event in dashboard.drain()}
    assert kinds == {"callout", "recipient", "timeline"}
    # The call itself moved, and every event the provider sent is kept.
    call.refresh_from_db()
    person = call.participants.get()
    assert call.state == CallState.TERMINATED and person.state == ParticipantState.LEFT
    assert person.acknowledged and person.keys_pressed == "1"
    assert call.events.count() == 5  # connected, roster, tone, played, disconnected


def test_each_try_nobody_answers_says_when_the_next_is_and_the_last_says_none(
    pool: Any, provider: FakeProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        callout = start_callout(1, rules=Rules(max_attempts=2, retry_wait_seconds=300))
        run_tasks()
        ring_out(Attempt.objects.get(number=1))
    with time_machine.travel(T0 + timedelta(seconds=301), tick=False):
        run_tasks()
        ring_out(Attempt.objects.get(number=2))

    assert timeline(callout)[1:] == [
        (
            TimelineKind.PARTICIPANT,
            f"{PERSON} not reached: no answer (attempt 1 of 2; next try in 5 min).",
        ),
        (TimelineKind.PARTICIPANT, f"{PERSON} not reached: no answer (attempt 2 of 2)."),
        (
            TimelineKind.STATUS,
            "The call-out finished: its one person was tried as its policy says (1 not reached).",
        ),
    ]


def test_a_refused_create_call_is_one_error_line_with_the_providers_reason(
    pool: Any, provider: FakeProvider
) -> None:
    refusal = {"error": {"code": "8523", "message": "Invalid target for this resource."}}
    provider.responses.append(httpx.Response(400, json=refusal))
    callout = start_callout(2, rules=Rules(max_attempts=1))
    run_tasks()

    errors = callout.incident.timeline.filter(kind=TimelineKind.ERROR)
    assert list(errors.values_list("text", flat=True)) == [
        f"{PERSON} could not be called: Invalid target for this resource "
        "(attempt 1 of 1, code 8523)."
    ]


def test_a_key_and_the_calls_end_in_one_batch_send_the_counts_and_the_row_once(
    pool: Any,
    provider: FakeProvider,
    lines: Lines,
    listen: Callable[[int], Listener],
) -> None:
    callout = start_callout(1)
    call = placed(callout, lines)
    lines.run(lines.deliver(call, *answered(call)))
    dashboard = listen(callout.incident_id)

    lines.deliver(call, tone(call, "1"), state(call, "CallDisconnected"))

    (message,) = dashboard.messages()
    events = [(e["kind"], e["data"]) for e in message["events"]]
    counts = [data for kind, data in events if kind == "callout"]
    rows = [data for kind, data in events if kind == "recipient"]
    assert [kind for kind, _ in events].count("timeline") == 2  # acknowledged, finished
    # Once each, as the batch left them: everyone acknowledged, the call-out finished.
    assert len(counts) == 1 and len(rows) == 1
    assert counts[0]["state"] == CalloutState.FINISHED
    assert counts[0]["counts"][RecipientStatus.ACKNOWLEDGED] == 1
    assert rows[0]["status"] == RecipientStatus.ACKNOWLEDGED
    assert rows[0]["attempts"][0]["ended_at"] is not None


def test_the_estimate_uses_the_ended_calls_mean_duration(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        callout = start_callout(5, rules=Rules(max_attempts=1))
        run_tasks()  # four attempts (the pool's four slots); the first placed
    with time_machine.travel(T0 + timedelta(milliseconds=1), tick=False):
        run_tasks()  # the three others' start slots came
    ended = T0 + timedelta(seconds=40)
    with time_machine.travel(ended, tick=False):
        for attempt in Attempt.objects.all():
            ring_out(attempt)
        callout.refresh_from_db()
        progress = callout_progress(callout)
    assert callout.timed_calls == 4
    assert callout.timed_call_seconds == pytest.approx(160, abs=0.01)
    # One left to call; four slots over a 40 s mean: one start every 10 s.
    assert progress.estimated_completion is not None
    wait = progress.estimated_completion - ended
    assert wait.total_seconds() == pytest.approx(10, abs=0.01)
