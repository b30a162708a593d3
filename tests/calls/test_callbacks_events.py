"""Each event type of the 2021 preview's callbacks (calls.callbacks) parsed into the neutral
events: call states, rosters, tones, play and invite results, in every spelling."""

from collections.abc import Callable

import pytest

from calls.callback_events import (
    CallState,
    CallStateChanged,
    InviteResult,
    MediaOutcome,
    ParticipantsUpdated,
    PlayResult,
    RosterEntry,
    ToneReceived,
)
from tests.calls.preview_envelopes import (
    CALL,
    SPELLINGS,
    Json,
    call_state,
    dtmf,
    invite_result,
    parse_one,
    participants_updated,
    play_result,
)

pytestmark = pytest.mark.dialect("preview")


@SPELLINGS
@pytest.mark.parametrize(
    ("state", "conversation_id", "expected"),
    [
        ("Establishing", None, CallState.ESTABLISHING),
        ("Established", "aHR0cHM6Ly9jb252", CallState.ESTABLISHED),
        ("Terminating", "aHR0cHM6Ly9jb252", CallState.TERMINATING),
        ("Terminated", "aHR0cHM6Ly9jb252", CallState.TERMINATED),
        ("Hold", None, CallState.HOLD),
        ("Transferring", None, CallState.TRANSFERRING),
    ],
)
def test_call_state_changes_parse(
    spell: Callable[[Json], Json], state: str, conversation_id: str | None, expected: CallState
) -> None:
    event = parse_one(spell(call_state(state, conversation_id)))

    assert isinstance(event, CallStateChanged)
    assert (event.call_id, event.state, event.server_call_id) == (CALL, expected, conversation_id)


def test_a_call_state_we_do_not_know_is_unknown_not_an_error() -> None:
    event = parse_one(call_state("Connected"))

    assert isinstance(event, CallStateChanged)
    assert event.state is CallState.UNKNOWN


@SPELLINGS
def test_participants_updated_parses_the_full_roster(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(participants_updated()))

    assert isinstance(event, ParticipantsUpdated)
    assert event.call_id == CALL
    assert event.participants == (
        RosterEntry(identifier="8:acs:app", participant_id="p-app", is_muted=False),
        RosterEntry(identifier="+15550100", participant_id="p-alice", is_muted=True),
    )


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ({"RawId": "4:+15550100"}, "+15550100"),
        ({"RawId": "8:acs:bob", "CommunicationUser": None}, "8:acs:bob"),
        ({"RawId": "8:orgid:1234"}, "8:orgid:1234"),
        ({"CommunicationUser": {"Id": "8:acs:bob"}}, "8:acs:bob"),
        ({"PhoneNumber": {"Value": "+15550100"}, "RawId": None}, "+15550100"),
    ],
)
def test_roster_identifiers_become_the_apps_raw_strings(identifier: Json, expected: str) -> None:
    document = participants_updated()
    document["data"]["Participants"][0]["Identifier"] = identifier

    event = parse_one(document)

    assert isinstance(event, ParticipantsUpdated)
    assert event.participants[0].identifier == expected


def test_a_roster_entry_without_is_muted_counts_as_unmuted() -> None:
    document = participants_updated()
    del document["data"]["Participants"][1]["IsMuted"]

    event = parse_one(document)

    assert isinstance(event, ParticipantsUpdated)
    assert event.participants[1].is_muted is False


@SPELLINGS
def test_dtmf_received_parses_tone_and_sequence(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(dtmf("Tone1", 3)))

    assert isinstance(event, ToneReceived)
    assert (event.call_id, event.tone, event.sequence_id) == (CALL, "1", 3)


@pytest.mark.parametrize(
    ("wire", "tone"),
    [
        ("Tone0", "0"),
        ("tone9", "9"),
        ("one", "1"),
        ("7", "7"),
        ("Star", "*"),
        ("asterisk", "*"),
        ("Pound", "#"),
        ("#", "#"),
        ("A", "A"),
        ("d", "D"),
        ("Flash", "flash"),
    ],
)
def test_tone_spellings_of_every_era_are_understood(wire: str, tone: str) -> None:
    event = parse_one(dtmf(wire))

    assert isinstance(event, ToneReceived)
    assert event.tone == tone


def test_the_late_2021_tone_received_type_is_the_same_event() -> None:
    document = dtmf()
    document["eventType"] = "Microsoft.Communication.ToneReceived"

    assert isinstance(parse_one(document), ToneReceived)


@SPELLINGS
def test_completed_play_parses(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(play_result("Completed", 200, 0)))

    assert isinstance(event, PlayResult)
    assert event.call_id == CALL
    assert event.operation_context == "play-1"
    assert event.outcome is MediaOutcome.COMPLETED
    assert (event.code, event.subcode, event.message) == (200, 0, "Action completed.")


@SPELLINGS
def test_a_cancelled_play_reported_as_completed_400_8508_parses_as_cancelled(
    spell: Callable[[Json], Json],
) -> None:
    event = parse_one(spell(play_result("Completed", 400, 8508)))

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.CANCELLED
    assert (event.code, event.subcode) == (400, 8508)


@SPELLINGS
def test_failed_play_parses(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(play_result("Failed", 500, 8535)))

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.FAILED


def test_a_completed_status_with_an_error_code_is_a_failed_play() -> None:
    event = parse_one(play_result("Completed", 400, 8523))

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.FAILED


def test_play_result_codes_may_be_numeric_strings_or_absent() -> None:
    document = play_result()
    document["data"]["ResultInfo"] = {"Code": "400", "Subcode": "8508"}

    event = parse_one(document)

    assert isinstance(event, PlayResult)
    assert event.outcome is MediaOutcome.CANCELLED
    assert event.message is None


@SPELLINGS
def test_successful_invite_parses(spell: Callable[[Json], Json]) -> None:
    event = parse_one(spell(invite_result()))

    assert isinstance(event, InviteResult)
    assert event.call_id == CALL
    assert event.operation_context == "invite-1"
    assert event.succeeded is True
    assert event.participants == ("+15550101",)
    assert (event.code, event.subcode, event.message) == (None, None, None)
    assert event.event_id == "0e1c4b2a-58f3-4f6e-9a7d-2b9c3d4e5f60"


@SPELLINGS
def test_failed_invite_parses(spell: Callable[[Json], Json]) -> None:
    document = invite_result("Failed", {"Code": 408, "Subcode": 0, "Message": "No answer"})

    event = parse_one(spell(document))

    assert isinstance(event, InviteResult)
    assert event.succeeded is False
    assert (event.code, event.subcode, event.message) == (408, 0, "No answer")
