"""Provider data longer than its columns: identifiers are refused, event types are cut short
(calls.callback_limits), the same in both dialects and on both databases. SQLite does not
enforce varchar lengths, PostgreSQL does: CI runs these on both."""

import json
from typing import Any

import httpx
import pytest

from calls.callback_limits import EVENT_TYPE_LENGTH, IDENTIFIER_LENGTH
from calls.client import CallAutomationClient
from calls.client_ga import GaCallAutomationClient
from calls.errors import ProviderFailed
from calls.models import Call, CallEvent, CallState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from calls.services import apply_pending_events, place_call, store_callbacks
from calls.services.ingest import Delivery
from tests.calls.test_callback_view import LEG, T0, envelope, roster_event, state_event
from tests.calls.test_callbacks_ga import CALL, cloud_event
from tests.factories import CallFactory, ParticipantFactory

LONG = "+1" + "5" * IDENTIFIER_LENGTH  # one past the column, and more
CONNECTION = "endpoint=https://acs.test/;accesskey=cHc="


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


def _place(answer: dict[str, Any], *, ga_version: str | None, settings: Any) -> Call:
    """Place a call through the real client of one dialect, the provider answering `answer`."""
    if ga_version:
        settings.ACS_API_VERSION = ga_version
        client: Any = GaCallAutomationClient(
            CONNECTION, api_version=ga_version, transport=_answering(answer), retry=NO_RETRY
        )
    else:
        client = CallAutomationClient(CONNECTION, transport=_answering(answer), retry=NO_RETRY)
    call = CallFactory.create(provider_call_id="")
    ParticipantFactory.create(call=call, identifier="+14255550101")
    install_client(client)
    try:
        place_call(call=call)
    finally:
        install_client(None)
    return call


def _answering(answer: dict[str, Any]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(201, json=answer))


@pytest.mark.parametrize(
    ("answer", "ga_version"),
    [({"callLegId": LONG}, None), ({"callConnectionId": LONG}, "2026-03-12")],
    ids=["preview", "ga"],
)
def test_a_created_call_whose_id_is_too_long_is_recorded_as_refused(
    db: None, settings: Any, answer: dict[str, Any], ga_version: str | None
) -> None:
    with pytest.raises(ProviderFailed):
        _place(answer, ga_version=ga_version, settings=settings)
    call = Call.objects.get()
    assert (call.state, call.provider_call_id) == (CallState.FAILED, "")
    assert "longer than" in call.last_error


def test_a_created_calls_source_too_long_is_dropped_for_ours(db: None, settings: Any) -> None:
    source = {"rawId": "8:acs:" + "x" * IDENTIFIER_LENGTH}
    answer = {"callConnectionId": CALL, "source": source}
    call = _place(answer, ga_version="2026-03-12", settings=settings)
    call.refresh_from_db()
    assert (call.provider_call_id, call.provider_source_id) == (CALL, settings.ACS_SOURCE_ID)
