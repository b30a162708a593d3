"""Pacing: never more calls in flight per caller number than its limit, starts no faster than
the start rate, the pool's fallback number, and a call-out that finishes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from callouts.errors import NoCallerNumber
from callouts.models import (
    Attempt,
    CallerNumber,
    CalloutState,
    Outcome,
    RecipientStatus,
    StartClock,
)
from callouts.policy import Rules
from callouts.services.pacing import free_slots, pace
from callouts.tasks import pace_callout
from calls.models import Call, CallMode, CallState
from tests.callouts.conftest import (
    deliver,
    in_flight,
    queued,
    ring_out,
    run_tasks,
    start_callout,
)
from tests.provider_callbacks import callback
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_declaring_stores_the_call_out_and_dials_nobody_yet(
    pool: Any, provider: FakeProvider
) -> None:
    callout = start_callout(5)
    assert provider.operations() == []
    assert not Attempt.objects.exists()
    assert [t.args_kwargs["args"] for t in queued("pace_callout")] == [[callout.pk]]


def test_pacing_fills_each_number_to_its_limit_and_no_further(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 4
    with time_machine.travel(T0, tick=False):
        callout = start_callout(7)
        assert pace(callout_id=callout.pk) == 4
        assert pace(callout_id=callout.pk) == 0  # a second pacer finds no free slot

    assert in_flight() == {"+14255550001": 2, "+14255550002": 2}
    attempts = list(Attempt.objects.order_by("scheduled_at"))
    # Four starts a second: one every 250 ms from now, each enqueued for its own slot.
    assert [a.scheduled_at - T0 for a in attempts] == [
        timedelta(milliseconds=250 * i) for i in range(4)
    ]
    # The first one's slot is now: its pacer placed it. The others wait for theirs, each
    # enqueued for its own slot.
    assert len(provider.operations()) == 1 and attempts[0].claimed_at == T0
    places = queued("place_attempt")
    assert [(t.args_kwargs["args"], t.run_after) for t in places] == [
        ([a.pk], a.scheduled_at) for a in attempts[1:]
    ]
    first_four = list(callout.recipients.order_by("position")[:4])
    assert [a.recipient for a in attempts] == first_four
    assert {r.status for r in callout.recipients.all()[4:]} == {RecipientStatus.PENDING}
    for attempt in attempts:
        call = attempt.call
        assert (attempt.number, attempt.recipient.status) == (1, RecipientStatus.DIALLING)
        assert attempt.recipient.attempts_made == 1
        assert call.mode == CallMode.BROADCAST and call.subject == "Fire"
        placed = CallState.ESTABLISHING if attempt == attempts[0] else CallState.PENDING
        assert call.state == placed and call.incident_id == callout.incident_id
        assert list(call.participants.values_list("identifier", flat=True)) == [
            attempt.recipient.identifier
        ]


def test_each_call_goes_out_from_its_number_at_its_start_slot(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 2
    with time_machine.travel(T0, tick=False):
        start_callout(3)
        # The pacer places the first call itself; the others are not due yet.
        assert run_tasks() == ["pace_callout"] and len(provider.operations()) == 1
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        assert run_tasks() == ["place_attempt", "place_attempt"]

    sources = sorted(str(number) for number in provider.caller_ids())
    assert sources == ["+14255550001", "+14255550001", "+14255550002"]
    for attempt in Attempt.objects.select_related("call"):
        assert attempt.call.state == CallState.ESTABLISHING
        assert attempt.claimed_at is not None and attempt.claimed_at >= attempt.scheduled_at


def test_the_start_rate_holds_across_pacing_rounds_and_call_outs(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 1
    CallerNumber.objects.create(number="+14255550003", max_simultaneous_calls=10)
    with time_machine.travel(T0, tick=False):
        first, second = start_callout(3), start_callout(3, title="Flood")
        pace(callout_id=first.pk)
        pace(callout_id=second.pk)
    starts = sorted(Attempt.objects.values_list("scheduled_at", flat=True))
    assert [s - T0 for s in starts] == [timedelta(seconds=i) for i in range(6)]
    assert StartClock.objects.get().next_start_at == T0 + timedelta(seconds=6)


def test_an_ended_call_frees_its_slot_for_the_next_person(
    operator: User, pool: Any, provider: FakeProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        callout = start_callout(6, rules=Rules(max_attempts=1))
        run_tasks()
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        run_tasks()  # the create-calls of the later start slots
        assert sum(in_flight().values()) == 4 and len(provider.operations()) == 4
        ended = Attempt.objects.order_by("pk").first()
        assert ended is not None
        ring_out(ended)
        ended.refresh_from_db()
        assert ended.outcome == Outcome.NO_ANSWER and ended.ended_at is not None
        assert ended.recipient.status == RecipientStatus.NOT_REACHED
        # The freed line's pacer places the next call itself: no task hop in between.
        assert run_tasks() == ["pace_callout"] and len(provider.operations()) == 5
    assert sum(in_flight().values()) == 4
    fifth = callout.recipients.get(position=5)
    assert fifth.status == RecipientStatus.DIALLING
    assert fifth.attempts.get().caller_number == ended.caller_number


@pytest.mark.dialect("preview")  # GA sends no event when a call starts ending
def test_a_line_is_free_once_its_call_is_ending_not_only_once_it_has_ended(
    pool: Any, provider: FakeProvider
) -> None:
    callout = start_callout(6, rules=Rules(max_attempts=1))
    run_tasks()
    assert free_slots(pool) == {number: 0 for number in pool}
    ending = Attempt.objects.order_by("pk").first()
    assert ending is not None
    call = Call.objects.get(pk=ending.call_id)
    deliver(call, callback("CallTerminating", call=call))  # its Terminated is yet to come
    ending.refresh_from_db()
    assert ending.ended_at is None
    assert free_slots(pool)[ending.caller_number] == 1
    # The ending woke the pacer, which gives the line to the next person.
    assert run_tasks() == ["pace_callout"] and len(provider.operations()) == 5
    assert callout.recipients.get(position=5).attempts.get().caller_number == ending.caller_number
    assert free_slots(pool)[ending.caller_number] == 0


def test_numbers_are_shared_by_call_outs_and_a_free_slot_goes_to_one_waiting(
    pool: Any, provider: FakeProvider
) -> None:
    first = start_callout(2, rules=Rules(max_attempts=1))
    second = start_callout(4, rules=Rules(max_attempts=1), title="Flood")
    run_tasks()
    assert sum(in_flight().values()) == 4  # the pool's four slots, whatever the call-outs
    assert second.recipients.filter(status=RecipientStatus.PENDING).count() == 2
    for attempt in Attempt.objects.filter(recipient__callout=first):
        ring_out(attempt)
    run_tasks()  # the first call-out has nobody left: its pacer hands the slots on
    assert second.recipients.filter(status=RecipientStatus.PENDING).count() == 0
    assert sum(in_flight().values()) == 4
    first.refresh_from_db()
    assert first.state == CalloutState.FINISHED


def test_an_empty_pool_calls_from_acs_caller_id_two_at_a_time(
    provider: FakeProvider, settings: Any
) -> None:
    settings.ACS_CALLER_ID = "+14255550199"
    callout = start_callout(3)
    assert pace(callout_id=callout.pk) == 2
    number = CallerNumber.objects.get()
    assert (number.number, number.max_simultaneous_calls) == ("+14255550199", 2)
    assert in_flight() == {"+14255550199": 2}


@pytest.mark.parametrize("fallback", ["", "+14255550001"])
def test_without_any_number_the_call_out_is_refused_before_anything_is_stored(
    settings: Any, fallback: str
) -> None:
    settings.ACS_CALLER_ID = fallback  # none, or switched off in the pool
    CallerNumber.objects.create(number="+14255550001", is_active=False)
    with pytest.raises(NoCallerNumber, match="ACS_CALLER_ID"):
        start_callout(1)
    assert not Attempt.objects.exists()


def test_a_pool_emptied_while_running_stops_pacing_with_no_caller_number(
    pool: Any, settings: Any
) -> None:
    callout = start_callout(1)
    settings.ACS_CALLER_ID = ""
    CallerNumber.objects.update(is_active=False)
    with pytest.raises(NoCallerNumber):
        pace(callout_id=callout.pk)
    assert not Attempt.objects.exists()


def test_a_call_out_with_everyone_tried_finishes(pool: Any, provider: FakeProvider) -> None:
    callout = start_callout(2, rules=Rules(max_attempts=1))
    run_tasks()
    for attempt in Attempt.objects.all():
        ring_out(attempt)
    callout.refresh_from_db()
    assert callout.state == CalloutState.FINISHED and callout.finished_at is not None
    # The first call's end woke the pacer; the last one's finished the call-out instead.
    assert run_tasks() == ["pace_callout"]
    assert not queued("pace_callout")


def test_pacing_a_finished_call_out_starts_nobody(pool: Any, provider: FakeProvider) -> None:
    callout = start_callout(2)
    callout.state, callout.finished_at = CalloutState.STOPPED, T0
    callout.save()
    assert pace(callout_id=callout.pk) == 0
    assert not Attempt.objects.exists()


def test_lines_ending_while_a_pacing_waits_in_the_queue_wake_it_once(
    pool: Any, provider: FakeProvider
) -> None:
    with time_machine.travel(T0, tick=False):
        start_callout(8, rules=Rules(max_attempts=1))
        run_tasks()
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        run_tasks()
        for attempt in Attempt.objects.order_by("pk")[:3]:
            ring_out(attempt)
        assert len(queued("pace_callout")) == 1  # it will see every slot freed before it runs
        assert run_tasks() == ["pace_callout"]
        assert sum(in_flight().values()) == 4 and Attempt.objects.count() == 7


def test_a_pacing_runs_before_create_calls_already_due(
    pool: Any, provider: FakeProvider, settings: Any
) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 1
    with time_machine.travel(T0, tick=False):
        callout = start_callout(3)
        assert run_tasks() == ["pace_callout"]
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        pace_callout.enqueue(callout.pk)  # a line freed: enqueued after the two create-calls
        assert run_tasks() == ["pace_callout", "place_attempt", "place_attempt"]
