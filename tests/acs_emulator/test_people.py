"""Simulated people: targets that answer, never answer, are busy, decline or are voicemail."""

import time

import httpx
import pytest

from tests.acs_emulator.scenarios import CALLEE, TIME_SCALE, call_body, phone, place_call
from tests.acs_emulator.servers import Receiver

RING_TIMEOUT_S = 30 * TIME_SCALE
OTHER = "+14255550188"


def call_states(receiver: Receiver, call_leg_id: str) -> list[object]:
    """The CallState of every event of the call, None for events of other types."""
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    return [e["data"].get("CallState") for e in receiver.events(call_leg_id)]


def participant_states(control: httpx.Client, call_leg_id: str) -> list[str]:
    call = control.get(f"/emulator/calls/{call_leg_id}").json()
    return [p["state"] for p in call["participants"]]


@pytest.mark.parametrize(
    ("outcome", "state"), [("no-answer", "noAnswer"), ("busy", "busy"), ("decline", "declined")]
)
def test_target_who_does_not_answer_ends_the_call_unestablished(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, outcome: str, state: str
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": outcome})

    call_leg_id = place_call(acs, call_body(receiver.url))

    assert call_states(receiver, call_leg_id) == ["Establishing", "Terminating", "Terminated"]
    assert participant_states(control, call_leg_id) == ["left", state]


def test_no_answer_rings_for_the_ring_timeout(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": "no-answer"})
    started = time.monotonic()

    call_leg_id = place_call(acs, call_body(receiver.url))
    call_states(receiver, call_leg_id)

    assert time.monotonic() - started >= RING_TIMEOUT_S


def test_answer_later_than_the_ring_timeout_is_no_answer(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 45_000})

    call_leg_id = place_call(acs, call_body(receiver.url))

    assert call_states(receiver, call_leg_id) == ["Establishing", "Terminating", "Terminated"]
    assert participant_states(control, call_leg_id) == ["left", "noAnswer"]


def test_call_goes_on_while_one_of_two_targets_answers(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{OTHER}", json={"outcome": "busy"})

    call_leg_id = place_call(acs, call_body(receiver.url, phone(CALLEE), phone(OTHER)))

    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    time.sleep(0.05)
    assert participant_states(control, call_leg_id) == ["connected", "connected", "busy"]


def test_call_ends_when_every_target_has_failed(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": "decline"})
    control.put(f"/emulator/behaviours/{OTHER}", json={"outcome": "busy"})

    call_leg_id = place_call(acs, call_body(receiver.url, phone(CALLEE), phone(OTHER)))

    assert call_states(receiver, call_leg_id)[-1] == "Terminated"
    assert participant_states(control, call_leg_id) == ["left", "declined", "busy"]


def test_behaviour_for_an_acs_user_is_keyed_by_its_raw_id(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    user = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-0000000000dd"
    control.put(f"/emulator/behaviours/{user}", json={"outcome": "busy"})
    body = call_body(receiver.url, {"communicationUser": {"id": user}})

    call_leg_id = place_call(acs, body)

    assert participant_states(control, call_leg_id)[1] in ("ringing", "busy")
    assert call_states(receiver, call_leg_id) == ["Establishing", "Terminating", "Terminated"]


def test_voicemail_answers_presses_nothing_and_hangs_up_when_scripted(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(
        f"/emulator/behaviours/{CALLEE}", json={"outcome": "voicemail", "hangUpAfterMs": 5_000}
    )

    call_leg_id = place_call(acs, call_body(receiver.url))
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    established = time.monotonic()

    states = call_states(receiver, call_leg_id)
    assert time.monotonic() - established >= 5 * TIME_SCALE
    assert states == ["Establishing", "Established", None, None, "Terminating", "Terminated"]
    assert not [e for e in receiver.events(call_leg_id) if e["eventType"].endswith("DtmfReceived")]
    call = control.get(f"/emulator/calls/{call_leg_id}").json()
    assert [(p["state"], p["tonesPressed"]) for p in call["participants"]] == [
        ("left", ""),
        ("left", ""),
    ]
    assert call["connectedAt"] is not None


def test_voicemail_hangs_up_after_20_seconds_unless_told(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    stored = control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": "voicemail"}).json()

    call_leg_id = place_call(acs, call_body(receiver.url))

    assert stored["hangUpAfterMs"] == 20_000 and stored["tones"] == ""
    states = call_states(receiver, call_leg_id)
    assert states[:2] == ["Establishing", "Established"] and states[-1] == "Terminated"
