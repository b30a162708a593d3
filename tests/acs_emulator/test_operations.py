"""Mid-call operations: invite, remove, hang up; unknown calls and participants; ended calls."""

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
)
from tests.acs_emulator.servers import Receiver

pytestmark = pytest.mark.dialect("preview")

INVITEE = "+14255550155"
UNKNOWN = "00000000-0000-0000-0000-00000000dead"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PLAY: dict[str, object] = {"audioFileUri": "http://127.0.0.1:9/prompt.wav", "operationContext": "p"}


def call_operations(call_leg_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("POST", f"{CALLS}/{call_leg_id}/Hangup", None),
        ("POST", f"{CALLS}/{call_leg_id}/PlayAudio", PLAY),
        ("POST", f"{CALLS}/{call_leg_id}/CancelMediaProcessing", {"operationContext": "c"}),
        ("POST", f"{CALLS}/{call_leg_id}/participants", {"participants": [phone(INVITEE)]}),
    ]


def roster_ids(event: dict[str, object]) -> list[str]:
    data = event["data"]
    assert isinstance(data, dict)
    return [p["Identifier"]["RawId"] for p in data["Participants"]]


def participant_id(receiver: Receiver, call_leg_id: str, raw_id: str) -> str:
    event = receiver.wait_for(call_leg_id, "ParticipantsUpdated")
    data = event["data"]
    assert isinstance(data, dict)
    return str(
        next(p["ParticipantId"] for p in data["Participants"] if p["Identifier"]["RawId"] == raw_id)
    )


@pytest.mark.parametrize("index", range(4), ids=["hangup", "play", "cancel", "invite"])
def test_operation_on_an_unknown_call_is_404(acs: httpx.Client, index: int) -> None:
    method, path, body = call_operations(UNKNOWN)[index]

    response = acs.request(method, path, json=body)

    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "message": f"Call {UNKNOWN} not found."}


def test_removing_from_an_unknown_call_is_404(acs: httpx.Client) -> None:
    assert acs.delete(f"{CALLS}/{UNKNOWN}/participants/{UNKNOWN}").status_code == 404


def test_removing_an_unknown_participant_is_404(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    response = acs.delete(f"{CALLS}/{call_leg_id}/participants/{UNKNOWN}")

    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_unknown_operation_on_a_call_is_404(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    assert acs.post(f"{CALLS}/{call_leg_id}/Transfer").status_code == 404


@pytest.mark.parametrize("index", range(4), ids=["hangup", "play", "cancel", "invite"])
def test_operation_on_a_terminated_call_is_400(
    acs: httpx.Client, receiver: Receiver, index: int
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    acs.post(f"{CALLS}/{call_leg_id}/Hangup")
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    method, path, body = call_operations(call_leg_id)[index]

    response = acs.request(method, path, json=body)

    assert response.status_code == 400
    assert response.json()["code"] == "8501"


def test_media_on_a_call_not_yet_established_is_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 10_000})
    call_leg_id = acs.post(CALLS, json=call_body(receiver.url)).json()["callLegId"]

    response = acs.post(f"{CALLS}/{call_leg_id}/PlayAudio", json=PLAY)

    assert response.status_code == 400
    assert "not established" in response.json()["message"]


def test_hanging_up_a_ringing_call_ends_it_without_establishing(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 10_000})
    call_leg_id = acs.post(CALLS, json=call_body(receiver.url)).json()["callLegId"]
    receiver.wait_for(call_leg_id, "CallLegStateChanged")

    assert acs.post(f"{CALLS}/{call_leg_id}/Hangup").status_code == 202
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    states = [e["data"]["CallState"] for e in receiver.events(call_leg_id)]
    assert states == ["Establishing", "Terminating", "Terminated"]


def test_invite_answers_202_then_reports_completed_and_updates_the_roster(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    body = {"participants": [phone(INVITEE)], "operationContext": "escalate-1"}

    response = acs.post(f"{CALLS}/{call_leg_id}/participants", json=body)

    assert response.status_code == 202 and response.content == b""
    result = receiver.wait_for(call_leg_id, "InviteParticipantResult")
    assert GUID.match(str(result["id"]))
    assert result["subject"] == f"callLeg/{call_leg_id}/inviteParticipantResult"
    assert result["data"] == {
        "ResultInfo": None,
        "OperationContext": "escalate-1",
        "Status": "Completed",
        "CallLegId": call_leg_id,
        "Participants": [
            {
                "RawId": f"4:{INVITEE}",
                "CommunicationUser": None,
                "PhoneNumber": {"Value": INVITEE},
                "MicrosoftTeamsUser": None,
            }
        ],
    }
    roster = receiver.wait_for(
        call_leg_id, "ParticipantsUpdated", lambda d: len(d["Participants"]) == 3
    )
    assert roster_ids(roster) == [APP_ID, f"4:{CALLEE}", f"4:{INVITEE}"]


@pytest.mark.parametrize(("outcome", "code"), [("busy", 486), ("decline", 603), ("no-answer", 408)])
def test_invitee_who_does_not_answer_is_reported_failed(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, outcome: str, code: int
) -> None:
    control.put(f"/emulator/behaviours/{INVITEE}", json={"outcome": outcome})
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    acs.post(
        f"{CALLS}/{call_leg_id}/participants",
        json={"participants": [phone(INVITEE)], "operationContext": "escalate-2"},
    )

    data = receiver.wait_for(call_leg_id, "InviteParticipantResult")["data"]
    assert isinstance(data, dict)
    assert data["Status"] == "Failed" and data["OperationContext"] == "escalate-2"
    assert data["ResultInfo"]["Code"] == code and data["ResultInfo"]["Message"]
    call = control.get(f"/emulator/calls/{call_leg_id}").json()
    assert call["state"] == "Established"


def test_invite_of_an_acs_user_needs_no_caller_id(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    user = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-0000000000cc"

    response = acs.post(
        f"{CALLS}/{call_leg_id}/participants", json={"participants": [acs_user(user)]}
    )

    assert response.status_code == 202
    data = receiver.wait_for(call_leg_id, "InviteParticipantResult")["data"]
    assert data["Participants"][0]["CommunicationUser"] == {"Id": user}


@pytest.mark.parametrize(
    "body",
    [{}, {"participants": []}, {"participants": [phone("12")]}, {"participants": [phone(CALLEE)]}],
    ids=["no participants", "empty", "bad number", "already in the call"],
)
def test_invalid_invite_is_400(
    acs: httpx.Client, receiver: Receiver, body: dict[str, object]
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    response = acs.post(f"{CALLS}/{call_leg_id}/participants", json=body)

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}


def test_removing_a_participant_updates_the_roster(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    acs.post(f"{CALLS}/{call_leg_id}/participants", json={"participants": [phone(INVITEE)]})
    receiver.wait_for(call_leg_id, "ParticipantsUpdated", lambda d: len(d["Participants"]) == 3)
    callee = participant_id(receiver, call_leg_id, f"4:{CALLEE}")

    response = acs.delete(f"{CALLS}/{call_leg_id}/participants/{callee}")

    assert response.status_code == 202
    roster = receiver.wait_for(
        call_leg_id,
        "ParticipantsUpdated",
        lambda d: [p["Identifier"]["RawId"] for p in d["Participants"]] == [APP_ID, f"4:{INVITEE}"],
    )
    assert roster["data"]["CallLegId"] == call_leg_id


def test_removing_the_last_remote_participant_ends_the_call(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = participant_id(receiver, call_leg_id, f"4:{CALLEE}")

    assert acs.delete(f"{CALLS}/{call_leg_id}/participants/{callee}").status_code == 202
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def test_removing_the_applications_own_leg_is_400(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    app_leg = participant_id(receiver, call_leg_id, APP_ID)

    response = acs.delete(f"{CALLS}/{call_leg_id}/participants/{app_leg}")

    assert response.status_code == 400


def test_removing_a_participant_twice_is_404(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(
        acs, receiver, call_body(receiver.url, phone(CALLEE), phone(INVITEE))
    )
    callee = participant_id(receiver, call_leg_id, f"4:{CALLEE}")
    acs.delete(f"{CALLS}/{call_leg_id}/participants/{callee}")

    assert acs.delete(f"{CALLS}/{call_leg_id}/participants/{callee}").status_code == 404
