"""Event times far in the future (beyond ACS_CLOCK_SKEW_SECONDS past their arrival) are read as
dated on arrival, so one future-dated event cannot freeze the roster or date the end of a call
next year (calls.callback_limits). Both dialects; GA rosters without a sequence number are
ordered by time, as the preview's are."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from calls.models import Call, CallState, ParticipantState
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import Delivery
from tests.calls.test_callback_view import LEG, roster_event, state_event
from tests.calls.test_callbacks_ga import CALL, cloud_event
from tests.factories import CallFactory, ParticipantFactory

PERSON = "+14255550101"
NEXT_YEAR = timedelta(days=365)


def _ga_time(at: datetime) -> str:
    return at.isoformat()


def roster(dialect: str, people: list[str], at: datetime, event_id: str) -> Any:
    if dialect == "preview":
        return roster_event(people, at)
    entries = [
        {"identifier": {"rawId": f"4:{n}", "phoneNumber": {"value": n}}, "isMuted": False}
        for n in people
    ]
    return {
        **cloud_event("ParticipantsUpdated", event_id, participants=entries),
        "time": _ga_time(at),
    }


def ended(dialect: str, at: datetime) -> Any:
    if dialect == "preview":
        return state_event("Terminated", at)
    return {**cloud_event("CallDisconnected", "end-1"), "time": _ga_time(at)}


@pytest.fixture(params=["preview", "ga"])
def dialect(request: Any) -> str:
    return str(request.param)


@pytest.fixture
def call(db: None, dialect: str) -> Call:
    call = CallFactory.create(
        provider_call_id=LEG if dialect == "preview" else CALL,
        state=CallState.ESTABLISHED,
        provider_source_id="8:acs:app",
    )
    ParticipantFactory.create(call=call, identifier=PERSON, state=ParticipantState.RINGING)
    return call


def deliver(call: Call, event: Any) -> None:
    body = json.dumps([event]).encode()
    assert store_callbacks([Delivery(call.pk, call.callback_secret, body)]) == [1]
    apply_pending_events()


def test_a_roster_dated_next_year_does_not_freeze_the_roster(call: Call, dialect: str) -> None:
    now = timezone.now()
    deliver(call, roster(dialect, [PERSON], now + NEXT_YEAR, "roster-a"))
    person = call.participants.get()
    assert person.state == ParticipantState.JOINED
    assert person.joined_at is not None and person.joined_at <= timezone.now()

    deliver(call, roster(dialect, [], timezone.now() + timedelta(seconds=1), "roster-b"))
    person.refresh_from_db()
    assert person.state == ParticipantState.LEFT  # the real snapshot was not taken for stale
    call.refresh_from_db()
    assert call.roster_at is not None and call.roster_at <= timezone.now() + timedelta(seconds=1)


def test_an_end_dated_next_year_ends_the_call_now(call: Call, dialect: str) -> None:
    before = timezone.now()
    deliver(call, roster(dialect, [PERSON], before, "roster-a"))
    deliver(call, ended(dialect, before + NEXT_YEAR))
    call.refresh_from_db()
    assert call.state == CallState.TERMINATED
    assert call.ended_at is not None and before <= call.ended_at <= timezone.now()
    person = call.participants.get()
    assert person.left_at is not None and person.left_at <= timezone.now()


def test_a_time_within_the_allowance_is_kept(call: Call, dialect: str, settings: Any) -> None:
    settings.ACS_CLOCK_SKEW_SECONDS = 120
    ahead = (timezone.now() + timedelta(seconds=60)).replace(microsecond=0)
    deliver(call, roster(dialect, [PERSON], ahead, "roster-a"))
    assert call.participants.get().joined_at == ahead


def test_the_allowance_is_a_setting(call: Call, dialect: str, settings: Any) -> None:
    settings.ACS_CLOCK_SKEW_SECONDS = 0
    ahead = timezone.now() + timedelta(seconds=60)
    deliver(call, roster(dialect, [PERSON], ahead, "roster-a"))
    joined_at = call.participants.get().joined_at
    assert joined_at is not None and joined_at < ahead
