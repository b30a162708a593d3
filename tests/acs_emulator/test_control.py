"""The emulator's own control API and its HTML page of "phones"."""

from urllib.parse import quote

import httpx
import pytest

from tests.acs_emulator.scenarios import (
    APP_ID,
    CALLEE,
    CALLER_ID,
    CALLS,
    call_body,
    established_call,
    place_call,
)
from tests.acs_emulator.servers import Receiver

FORM = {"content-type": "application/x-www-form-urlencoded"}


def remote_participant(control: httpx.Client, call_leg_id: str) -> dict[str, object]:
    participant: dict[str, object] = control.get(f"/emulator/calls/{call_leg_id}").json()[
        "participants"
    ][1]
    return participant


def person_url(call_leg_id: str, participant: dict[str, object], action: str) -> str:
    return f"/emulator/calls/{call_leg_id}/participants/{participant['participantId']}/{action}"


def test_behaviour_is_stored_with_defaults_and_listed(control: httpx.Client) -> None:
    response = control.put(f"/emulator/behaviours/{quote(CALLEE)}", json={"tones": "1"})

    assert response.status_code == 200
    assert response.json() == {
        "target": CALLEE,
        "outcome": "answer",
        "answerAfterMs": 2000,
        "tones": "1",
        "tonesAfterMs": 1000,
        "tonesAfter": "answer",
        "hangUpAfterMs": None,
    }
    assert control.get("/emulator/behaviours").json()["behaviours"][CALLEE]["tones"] == "1"


@pytest.mark.parametrize("target", [quote(CALLEE), CALLEE, quote(f"4:{CALLEE}")])
def test_behaviour_target_may_be_encoded_or_a_raw_phone_id(
    control: httpx.Client, target: str
) -> None:
    control.put(f"/emulator/behaviours/{target}", json={"outcome": "busy"})

    assert control.get("/emulator/behaviours").json()["behaviours"][CALLEE]["outcome"] == "busy"


def test_deleting_a_behaviour_restores_the_default(control: httpx.Client) -> None:
    control.put(f"/emulator/behaviours/{quote(APP_ID)}", json={"outcome": "decline"})

    assert control.delete(f"/emulator/behaviours/{quote(APP_ID)}").status_code == 204
    assert control.get("/emulator/behaviours").json()["behaviours"] == {}


@pytest.mark.parametrize(
    ("target", "body"),
    [
        (CALLEE, {"outcome": "maybe"}),
        (CALLEE, {"answerAfterMs": -1}),
        (CALLEE, {"answerAfterMs": "soon"}),
        (CALLEE, {"hangUpAfterMs": True}),
        (CALLEE, {"tones": "12x"}),
        (CALLEE, {"tones": "1", "tonesAfter": "later"}),
        (CALLEE, {"outcome": "voicemail", "tones": "1"}),
        (CALLEE, {"mood": "grumpy"}),
        ("5550100", {}),
        ("acs:someone", {}),
    ],
)
def test_invalid_behaviour_is_400(
    control: httpx.Client, target: str, body: dict[str, object]
) -> None:
    response = control.put(f"/emulator/behaviours/{quote(target)}", json=body)

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}


def test_calls_list_shows_participants_media_and_events(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    calls = control.get("/emulator/calls").json()["calls"]

    assert [c["callLegId"] for c in calls] == [call_leg_id]
    call = calls[0]
    assert call["state"] == "Established" and call["callerId"] == CALLER_ID
    assert call["requestedCallEvents"] == ["dtmfReceived", "participantsUpdated"]
    assert [(p["role"], p["state"], p["rawId"]) for p in call["participants"]] == [
        ("app", "connected", APP_ID),
        ("target", "connected", f"4:{CALLEE}"),
    ]
    assert call["media"] == []
    assert call["events"][0]["eventType"] == "Microsoft.Communication.CallLegStateChanged"
    assert call["events"][0]["status"] == "delivered"


def test_unknown_call_in_the_control_api_is_404(control: httpx.Client) -> None:
    response = control.get("/emulator/calls/nope")

    assert response.status_code == 404
    assert response.json()["code"] == "NotFound"


def test_pressing_keys_for_a_participant_sends_dtmf(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(person_url(call_leg_id, callee, "tones"), json={"tones": "12"})

    assert response.status_code == 200 and response.json()["tonesPressed"] == "12"
    event = receiver.wait_for(
        call_leg_id, "DtmfReceived", lambda d: d["ToneInfo"]["SequenceId"] == 2
    )
    assert event["data"]["ToneInfo"]["Tone"] == "Tone2"


@pytest.mark.parametrize("body", [{"tones": ""}, {"tones": "9x"}, {}])
def test_pressing_invalid_keys_is_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, body: dict[str, object]
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    assert control.post(person_url(call_leg_id, callee, "tones"), json=body).status_code == 400


def test_pressing_keys_on_a_ringing_phone_is_409(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 10_000})
    call_leg_id = place_call(acs, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(person_url(call_leg_id, callee, "tones"), json={"tones": "1"})

    assert response.status_code == 409


def test_hanging_up_for_a_participant_ends_a_two_party_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(person_url(call_leg_id, callee, "hangup"))

    assert response.status_code == 200 and response.json()["state"] == "left"
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def test_hanging_up_a_ringing_phone_declines_the_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 10_000})
    call_leg_id = place_call(acs, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    assert control.post(person_url(call_leg_id, callee, "hangup")).json()["state"] == "declined"
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def test_reset_forgets_calls_behaviours_and_faults(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    place_call(acs, call_body(receiver.url))
    control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": "busy"})
    control.put("/emulator/faults", json={"error500Rate": 1})

    assert control.post("/emulator/reset").status_code == 204

    assert control.get("/emulator/calls").json() == {"calls": [], "callers": {}}
    assert control.get("/emulator/behaviours").json()["behaviours"] == {}
    assert control.get("/emulator/faults").json()["error500Rate"] == 0


def test_page_lists_calls_with_a_keypad_for_the_callee(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    page = control.get("/emulator/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert call_leg_id in page.text and f"4:{CALLEE}" in page.text
    action = person_url(call_leg_id, callee, "tones")
    assert f'action="{action}"' in page.text
    assert 'name="tones" value="#"' in page.text
    assert f'action="{person_url(call_leg_id, callee, "hangup")}"' in page.text


def test_page_without_calls_says_so(control: httpx.Client) -> None:
    assert "No calls yet" in control.get("/emulator/").text


def test_page_form_presses_a_key_and_redirects_back(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(
        person_url(call_leg_id, callee, "tones"), content=b"tones=%23", headers=FORM
    )

    assert response.status_code == 303 and response.headers["location"] == "/emulator/"
    event = receiver.wait_for(call_leg_id, "DtmfReceived")
    assert event["data"]["ToneInfo"]["Tone"] == "Pound"


def test_page_form_hangs_up_and_redirects_back(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(person_url(call_leg_id, callee, "hangup"), content=b"", headers=FORM)

    assert response.status_code == 303
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def test_control_api_needs_no_signature_while_the_acs_api_does(control: httpx.Client) -> None:
    assert control.get("/emulator/calls").status_code == 200
    assert control.post(CALLS, json={}).status_code == 401
