"""The flags the incident page shows its controls by, and the summary's counts, from Python."""

from typing import Any

import pytest
from django.utils import timezone

from calls.models import CallMode, CallState, MediaState, ParticipantState
from incidents.events import call_payload, participant_payload
from incidents.selectors import incident_snapshot
from tests.factories import CallFactory, IncidentFactory, ParticipantFactory

CALL_FLAGS = ("can_retry", "can_hang_up", "can_ring_again", "can_play", "can_invite")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "shown"),
    [
        (CallState.PENDING, set()),
        (CallState.FAILED, {"can_retry"}),
        (CallState.ESTABLISHING, {"can_hang_up"}),
        (CallState.ESTABLISHED, {"can_hang_up", "can_play", "can_invite"}),
        (CallState.TERMINATING, set()),
        (CallState.TERMINATED, {"can_ring_again"}),
    ],
)
def test_a_call_offers_only_what_can_work_in_its_state(state: str, shown: set[str]) -> None:
    payload = call_payload(CallFactory.create(state=state))
    assert {flag for flag in CALL_FLAGS if payload[flag]} == shown


@pytest.mark.django_db
def test_stop_audio_is_offered_only_while_something_plays() -> None:
    call = CallFactory.create(state=CallState.ESTABLISHED)
    assert call_payload(call)["can_stop_audio"] is False
    call.media_state = MediaState.PLAYING
    assert call_payload(call)["can_stop_audio"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "state", "provider_id", "can_remove"),
    [
        (CallMode.BRIDGE, ParticipantState.JOINED, "pid-1", True),
        (CallMode.BRIDGE, ParticipantState.JOINED, "", False),
        # A bridge's ringing invitee has no roster id yet: the preview cannot remove them.
        (CallMode.BRIDGE, ParticipantState.RINGING, "", False),
        (CallMode.BROADCAST, ParticipantState.RINGING, "", True),
        (CallMode.BRIDGE, ParticipantState.LEFT, "pid-1", False),
    ],
)
def test_remove_is_offered_for_people_it_can_remove(
    mode: str, state: str, provider_id: str, can_remove: bool
) -> None:
    call = CallFactory.create(state=CallState.ESTABLISHED, mode=mode)
    person = ParticipantFactory.create(call=call, state=state, provider_participant_id=provider_id)
    assert participant_payload(person)["can_remove"] is can_remove


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call_state", "state", "can_ring_again"),
    [
        (CallState.ESTABLISHED, ParticipantState.LEFT, True),
        (CallState.ESTABLISHED, ParticipantState.JOINED, False),
        (CallState.ESTABLISHED, ParticipantState.RINGING, False),
        (CallState.ESTABLISHING, ParticipantState.FAILED, False),
        (CallState.TERMINATED, ParticipantState.FAILED, True),
        (CallState.FAILED, ParticipantState.INVITED, False),
    ],
)
def test_ring_again_is_offered_once_an_attempt_is_over(
    call_state: str, state: str, can_ring_again: bool
) -> None:
    person = ParticipantFactory.create(call=CallFactory.create(state=call_state), state=state)
    # The page shows it when both say so: the person's attempt is over, and their call's
    # people can be rung again (the services check the same, in calls.controls).
    shown = (
        participant_payload(person)["can_ring_again"]
        and call_payload(person.call)["can_ring_people_again"]
    )
    assert shown is can_ring_again


@pytest.mark.django_db
def test_the_summary_counts_reached_only_for_a_key_press() -> None:
    call = CallFactory.create(state=CallState.ESTABLISHED)
    cases: dict[str, dict[str, Any]] = {
        "ringing": dict(state=ParticipantState.RINGING),
        "joined": dict(state=ParticipantState.JOINED),
        "acked": dict(state=ParticipantState.JOINED, acknowledged=True),
        "left": dict(state=ParticipantState.LEFT),
        "failed": dict(state=ParticipantState.FAILED),
    }
    now = timezone.now()
    tallies = {}
    for name, fields in cases.items():
        joined = {"joined_at": now} if name in ("joined", "acked", "left") else {}
        person = ParticipantFactory.create(call=call, **fields, **joined)
        tallies[name] = participant_payload(person)["tally"]
    assert tallies == {
        "ringing": ["ringing"],
        "joined": ["joined"],
        "acked": ["joined", "acknowledged"],
        "left": ["left", "not_reached"],
        "failed": ["not_reached"],
    }


@pytest.mark.django_db
def test_people_of_a_refused_call_count_as_not_reached() -> None:
    person = ParticipantFactory.create(
        call=CallFactory.create(state=CallState.FAILED), state=ParticipantState.INVITED
    )
    assert participant_payload(person)["tally"] == ["not_reached"]


@pytest.mark.django_db
def test_the_snapshot_says_whether_the_incident_is_open_and_who_is_named_on_key_presses() -> None:
    incident = IncidentFactory.create()
    CallFactory.create(incident=incident, mode=CallMode.BROADCAST)
    snapshot = incident_snapshot(incident.pk)
    assert snapshot["incident"]["is_open"] is True
    assert snapshot["calls"][0]["names_who_pressed"] is True
