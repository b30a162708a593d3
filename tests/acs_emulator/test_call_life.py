"""The life of a call and the exact shape of every callback event it produces."""

import re

import httpx
import pytest

from tests.acs_emulator.scenarios import (
    APP_ID,
    CALLEE,
    CALLS,
    acs_user,
    call_body,
    established_call,
    phone,
    place_call,
)
from tests.acs_emulator.servers import Receiver

pytestmark = pytest.mark.dialect("preview")

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
ENVELOPE_KEYS = {
    "id",
    "topic",
    "subject",
    "data",
    "eventType",
    "eventTime",
    "metadataVersion",
    "dataVersion",
}


def states(receiver: Receiver, call_leg_id: str) -> list[object]:
    return [
        e["data"]["CallState"]
        for e in receiver.events(call_leg_id)
        if e["eventType"] == "Microsoft.Communication.CallLegStateChanged"
    ]


def event_types(receiver: Receiver, call_leg_id: str) -> list[str]:
    return [str(e["eventType"]).rsplit(".", 1)[1] for e in receiver.events(call_leg_id)]


def wait_terminated(receiver: Receiver, call_leg_id: str) -> None:
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def test_answered_call_is_establishing_then_established_with_a_conversation_id(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    first, second = receiver.events(call_leg_id)[:2]
    assert set(first) == ENVELOPE_KEYS
    assert first["id"] is None and first["topic"] is None
    assert first["metadataVersion"] is None and first["dataVersion"] is None
    assert first["subject"] == f"callLeg/{call_leg_id}/callState"
    assert first["eventType"] == "Microsoft.Communication.CallLegStateChanged"
    assert EVENT_TIME.match(str(first["eventTime"]))
    assert first["data"] == {
        "ConversationId": None,
        "CallLegId": call_leg_id,
        "CallState": "Establishing",
    }
    assert second["data"]["CallState"] == "Established"
    assert re.match(r"^[A-Za-z0-9_-]+$", second["data"]["ConversationId"])


def test_callbacks_are_posted_as_a_one_element_array_to_the_callback_uri(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    # The receiver outlives tests: a late callback for an earlier test's call may be in it too.
    posts = [p for p in receiver.posts if call_leg_id in str(p.body)]
    assert posts
    for post in posts:
        assert post.path == "/callbacks/acs" and post.query == "secret=s3cret"
        assert isinstance(post.body, list) and len(post.body) == 1
        assert post.body[0]["data"]["CallLegId"] == call_leg_id


def test_participants_updated_lists_the_app_leg_and_the_callee_in_full(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    event = receiver.wait_for(call_leg_id, "ParticipantsUpdated")
    assert event["subject"] == f"callLeg/{call_leg_id}/participantsUpdated"
    data = event["data"]
    assert isinstance(data, dict) and data["CallLegId"] == call_leg_id
    app, callee = data["Participants"]
    assert app["Identifier"] == {
        "RawId": APP_ID,
        "CommunicationUser": {"Id": APP_ID},
        "PhoneNumber": None,
        "MicrosoftTeamsUser": None,
    }
    assert callee["Identifier"] == {
        "RawId": f"4:{CALLEE}",
        "CommunicationUser": None,
        "PhoneNumber": {"Value": CALLEE},
        "MicrosoftTeamsUser": None,
    }
    assert GUID.match(app["ParticipantId"]) and GUID.match(callee["ParticipantId"])
    assert app["IsMuted"] is False and callee["IsMuted"] is False


def test_participants_updated_is_sent_only_when_requested(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"hangUpAfterMs": 2000})
    call_leg_id = place_call(acs, call_body(receiver.url, events=("dtmfReceived",)))

    wait_terminated(receiver, call_leg_id)
    assert "ParticipantsUpdated" not in event_types(receiver, call_leg_id)


def test_hangup_answers_202_then_terminating_and_terminated(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    response = acs.post(f"{CALLS}/{call_leg_id}/Hangup?api-version=2021-04-15-preview1")

    assert response.status_code == 202
    wait_terminated(receiver, call_leg_id)
    assert states(receiver, call_leg_id) == [
        "Establishing",
        "Established",
        "Terminating",
        "Terminated",
    ]
    last = receiver.events(call_leg_id)[-1]["data"]
    assert last["ConversationId"]


def test_bare_calls_path_serves_the_same_operations(acs: httpx.Client, receiver: Receiver) -> None:
    response = acs.post("/calls", json=call_body(receiver.url))
    call_leg_id = response.json()["callLegId"]
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")

    assert acs.post(f"/calls/{call_leg_id}/hangup").status_code == 202
    wait_terminated(receiver, call_leg_id)


def test_callee_hanging_up_updates_the_roster_then_ends_the_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"hangUpAfterMs": 2000})
    call_leg_id = place_call(acs, call_body(receiver.url))

    wait_terminated(receiver, call_leg_id)
    assert event_types(receiver, call_leg_id) == [
        "CallLegStateChanged",
        "CallLegStateChanged",
        "ParticipantsUpdated",
        "ParticipantsUpdated",
        "CallLegStateChanged",
        "CallLegStateChanged",
    ]
    rosters = [
        [p["Identifier"]["RawId"] for p in e["data"]["Participants"]]
        for e in receiver.events(call_leg_id)
        if e["eventType"] == "Microsoft.Communication.ParticipantsUpdated"
    ]
    assert rosters == [[APP_ID, f"4:{CALLEE}"], [APP_ID]]


def test_scripted_tones_arrive_as_dtmf_with_increasing_sequence_ids(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"tones": "1*#", "tonesAfterMs": 500})
    call_leg_id = place_call(acs, call_body(receiver.url))

    receiver.wait_for(call_leg_id, "DtmfReceived", lambda d: d["ToneInfo"]["SequenceId"] == 3)
    dtmf = [e for e in receiver.events(call_leg_id) if e["subject"].endswith("/dtmf")]
    assert [e["data"] for e in dtmf] == [
        {"ToneInfo": {"SequenceId": 1, "Tone": "Tone1"}, "CallLegId": call_leg_id},
        {"ToneInfo": {"SequenceId": 2, "Tone": "Star"}, "CallLegId": call_leg_id},
        {"ToneInfo": {"SequenceId": 3, "Tone": "Pound"}, "CallLegId": call_leg_id},
    ]
    assert dtmf[0]["eventType"] == "Microsoft.Communication.DtmfReceived"


def test_dtmf_is_sent_only_when_requested(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(
        f"/emulator/behaviours/{CALLEE}",
        json={"tones": "1", "tonesAfterMs": 500, "hangUpAfterMs": 2000},
    )
    call_leg_id = place_call(acs, call_body(receiver.url, events=("participantsUpdated",)))

    wait_terminated(receiver, call_leg_id)
    assert "DtmfReceived" not in event_types(receiver, call_leg_id)
    call = control.get(f"/emulator/calls/{call_leg_id}").json()
    assert call["participants"][1]["tonesPressed"] == "1"


def test_requested_events_are_matched_without_regard_to_case(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"tones": "5", "tonesAfterMs": 500})
    body = call_body(receiver.url, events=("DtmfReceived",))
    call_leg_id = place_call(acs, body)

    event = receiver.wait_for(call_leg_id, "DtmfReceived")
    assert event["data"]["ToneInfo"]["Tone"] == "Tone5"


def test_acs_user_target_is_called_and_listed_by_raw_id(
    acs: httpx.Client, receiver: Receiver
) -> None:
    user = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-0000000000bb"
    body = call_body(receiver.url, acs_user(user))
    del body["alternateCallerId"]  # no phone among the targets, so no caller id is needed
    call_leg_id = established_call(acs, receiver, body)

    event = receiver.wait_for(call_leg_id, "ParticipantsUpdated")
    callee = event["data"]["Participants"][1]["Identifier"]
    assert callee == {
        "RawId": user,
        "CommunicationUser": {"Id": user},
        "PhoneNumber": None,
        "MicrosoftTeamsUser": None,
    }


def test_second_target_answering_later_is_added_to_the_roster(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    other = "+14255550199"
    control.put(f"/emulator/behaviours/{other}", json={"answerAfterMs": 1000})
    call_leg_id = place_call(acs, call_body(receiver.url, phone(CALLEE), phone(other)))

    event = receiver.wait_for(
        call_leg_id, "ParticipantsUpdated", lambda d: len(d["Participants"]) == 3
    )
    raw_ids = [p["Identifier"]["RawId"] for p in event["data"]["Participants"]]
    assert raw_ids == [APP_ID, f"4:{CALLEE}", f"4:{other}"]
