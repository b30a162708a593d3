"""Someone the app never invited who shows up in a roster is recorded as such: stored flagged,
shown flagged in the API and on the incident page, and told in the timeline. Both dialects."""

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from calls.models import Call, CallState, Participant, ParticipantState
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import Delivery
from tests.calls.test_callback_view import LEG, T0, roster_event
from tests.calls.test_callbacks_ga import CALL, cloud_event
from tests.conftest import token_client
from tests.factories import CallFactory, ParticipantFactory

INVITED = "+14255550101"
STRANGER = "+14255550999"


def _ga_roster(*numbers: str) -> Any:
    people = [
        {"identifier": {"rawId": f"4:{n}", "phoneNumber": {"value": n}}, "isMuted": False}
        for n in numbers
    ]
    return cloud_event("ParticipantsUpdated", "roster-1", sequenceNumber=1, participants=people)


@pytest.fixture(params=["preview", "ga"])
def roster_call(request: Any, db: None) -> tuple[Call, Any]:
    """A call that rang INVITED, and a roster showing them and a stranger, in one dialect."""
    if request.param == "preview":
        call = CallFactory.create(provider_call_id=LEG, provider_source_id="8:acs:app")
        roster = roster_event([INVITED, STRANGER], T0)
    else:
        call = CallFactory.create(provider_call_id=CALL, provider_source_id="8:acs:app")
        roster = _ga_roster(INVITED, STRANGER)
    Call.objects.filter(pk=call.pk).update(state=CallState.ESTABLISHED)
    ParticipantFactory.create(call=call, identifier=INVITED, state=ParticipantState.RINGING)
    (outcome,) = store_callbacks(
        [Delivery(call.pk, call.callback_secret, json.dumps([roster]).encode())]
    )
    assert outcome == 1
    apply_pending_events()
    return call, roster


def test_a_stranger_in_the_roster_is_stored_flagged_and_told(roster_call: tuple[Call, Any]) -> None:
    call, _ = roster_call
    people = {p.identifier: p for p in call.participants.all()}
    assert (people[INVITED].uninvited, people[INVITED].state) == (False, ParticipantState.JOINED)
    assert (people[STRANGER].uninvited, people[STRANGER].state) == (True, ParticipantState.JOINED)
    lines = list(call.incident.timeline.values_list("text", flat=True))
    assert f"{STRANGER}, whom the app did not invite, joined the call." in lines
    assert sum("did not invite" in line for line in lines) == 1  # not the invited one


def test_the_api_and_the_incident_page_show_the_flag(
    roster_call: tuple[Call, Any], viewer: User
) -> None:
    call, _ = roster_call
    body = token_client(viewer).get(f"/api/calls/{call.pk}/").json()
    flags = {p["identifier"]: p["uninvited"] for p in body["participants"]}
    assert flags == {INVITED: False, STRANGER: True}

    client = Client()
    client.force_login(viewer)
    page = client.get(f"/incidents/{call.incident_id}/").content.decode()
    found = re.search(
        r'<script id="incident-snapshot" type="application/json">(.*?)</script>', page
    )
    assert found is not None
    snapshot = json.loads(found.group(1))
    shown = {p["identifier"]: p["uninvited"] for p in snapshot["participants"]}
    assert shown == {INVITED: False, STRANGER: True}


def test_a_stranger_is_flagged_once_not_on_every_snapshot(roster_call: tuple[Call, Any]) -> None:
    call, roster = roster_call
    later = json.loads(json.dumps(roster))
    if "sequenceNumber" in later["data"]:
        later["id"], later["data"]["sequenceNumber"] = "roster-2", 2
    else:
        later["eventTime"] = "2026-11-29T12:00:05.0000000Z"
    store_callbacks([Delivery(call.pk, call.callback_secret, json.dumps([later]).encode())])
    apply_pending_events()
    assert Participant.objects.filter(call=call, uninvited=True).count() == 1
    lines = call.incident.timeline.filter(text__contains="did not invite")
    assert lines.count() == 1
