"""Provider data longer than its columns: identifiers are refused, event types are cut short
(calls.callback_limits), the same in both dialects and on both databases. SQLite does not
enforce varchar lengths, PostgreSQL does: CI runs these on both."""

import json
from typing import Any

import pytest

from calls.callback_limits import EVENT_TYPE_LENGTH, IDENTIFIER_LENGTH
from calls.models import Call, CallEvent, CallState
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import Delivery
from tests.calls.test_callback_view import LEG, T0, envelope, roster_event, state_event
from tests.calls.test_callbacks_ga import CALL, cloud_event
from tests.factories import CallFactory

LONG = "+1" + "5" * IDENTIFIER_LENGTH  # one past the column, and more


@pytest.fixture
def preview(db: None) -> Call:
    # The app's own identity known, so that someone it did not ring is added to the roster.
    return CallFactory.create(
        provider_call_id=LEG, state=CallState.ESTABLISHING, provider_source_id="8:acs:app"
    )


@pytest.fixture
def ga(db: None) -> Call:
    return CallFactory.create(provider_call_id=CALL, state=CallState.ESTABLISHING)


def store(call: Call, *events: Any) -> Any:
    body = json.dumps(list(events)).encode()
    (outcome,) = store_callbacks([Delivery(call.pk, call.callback_secret, body)])
    return outcome


def _ga_roster(raw_id: str) -> Any:
    person = {"identifier": {"rawId": raw_id}, "isMuted": False}
    return cloud_event("ParticipantsUpdated", "roster-1", sequenceNumber=1, participants=[person])


def _hostile(event: str, preview: Call, ga: Call) -> tuple[Call, Any]:
    leg = {**state_event("Established"), "data": {"CallLegId": LONG, "CallState": "Established"}}
    return {
        "preview-roster": (preview, roster_event([LONG], T0)),
        "preview-leg": (preview, leg),
        "ga-roster": (ga, _ga_roster("8:acs:" + "x" * IDENTIFIER_LENGTH)),
        "ga-connection": (ga, cloud_event("CallConnected", callConnectionId=LONG)),
    }[event]


@pytest.mark.parametrize("event", ["preview-roster", "preview-leg", "ga-roster", "ga-connection"])
def test_an_identifier_longer_than_its_column_is_refused(
    preview: Call, ga: Call, event: str
) -> None:
    call, body = _hostile(event, preview, ga)
    outcome = store(call, body)
    assert (getattr(outcome, "code", None), getattr(outcome, "status_code", None)) == (
        "too_long",
        400,
    )
    assert not CallEvent.objects.exists()


def test_an_identifier_as_long_as_its_column_is_stored_and_applied(preview: Call) -> None:
    longest = "+1" + "5" * (IDENTIFIER_LENGTH - 6)  # its participant id, "pid-" + it, fills it
    assert store(preview, roster_event([longest], T0)) == 1
    apply_pending_events()
    person = preview.participants.get()
    assert (person.identifier, len(person.provider_participant_id)) == (longest, IDENTIFIER_LENGTH)


@pytest.mark.parametrize("dialect", ["preview", "ga"])
def test_an_event_type_longer_than_its_column_is_stored_cut_short(
    preview: Call, ga: Call, dialect: str
) -> None:
    name = "Microsoft.Communication." + "Unheard" * 40
    if dialect == "preview":
        call, event = preview, envelope("x", name.removeprefix("Microsoft.Communication."), {}, T0)
    else:
        call, event = ga, {**cloud_event("CallConnected"), "type": name}
    assert store(call, event) == 1
    stored = CallEvent.objects.get()
    assert stored.event_type == name[:EVENT_TYPE_LENGTH]
    assert stored.payload == event  # the record keeps the type whole
    assert apply_pending_events() == 1
