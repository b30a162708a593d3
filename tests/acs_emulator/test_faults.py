"""Fault injection: failed, throttled and slow requests; dropped, doubled and retried callbacks."""

import time
from typing import Any

import httpx
import pytest

from tests.acs_emulator.scenarios import CALLEE, CALLS, TIME_SCALE, call_body, place_call
from tests.acs_emulator.servers import Receiver

UNKNOWN_CALL = f"{CALLS}/00000000-0000-0000-0000-000000000000/Hangup"


def wait_until_terminated(control: httpx.Client, call_leg_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        call: dict[str, Any] = control.get(f"/emulator/calls/{call_leg_id}").json()
        events = call["events"]
        assert isinstance(events, list)
        if call["state"] == "Terminated" and all(e["status"] != "pending" for e in events):
            return call
        time.sleep(0.02)
    raise AssertionError(f"call {call_leg_id} did not terminate")


def short_call(control: httpx.Client) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"hangUpAfterMs": 2000})


def test_fail_next_fails_exactly_that_many_requests(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put("/emulator/faults", json={"failNext": {"status": 500, "count": 2}})

    statuses = [acs.post(CALLS, json=call_body(receiver.url)).status_code for _ in range(3)]

    assert statuses == [500, 500, 200]
    assert len(control.get("/emulator/calls").json()["calls"]) == 1
    assert control.get("/emulator/faults").json()["failNext"]["count"] == 0


def test_injected_500_has_the_flat_error_body(acs: httpx.Client, control: httpx.Client) -> None:
    control.put("/emulator/faults", json={"failNext": {"status": 500}})

    response = acs.post(UNKNOWN_CALL)

    assert response.json() == {
        "code": "InternalServerError",
        "message": "Injected fault: Internal Server Error.",
    }


def test_injected_429_carries_retry_after(acs: httpx.Client, control: httpx.Client) -> None:
    control.put(
        "/emulator/faults", json={"failNext": {"status": 429, "count": 1, "retryAfterSeconds": 7}}
    )

    response = acs.post(UNKNOWN_CALL)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["code"] == "TooManyRequests"


def test_throttle_rate_answers_429_with_the_configured_retry_after(
    acs: httpx.Client, control: httpx.Client
) -> None:
    control.put("/emulator/faults", json={"throttleRate": 1, "retryAfterSeconds": 3})

    response = acs.post(UNKNOWN_CALL)

    assert response.status_code == 429 and response.headers["Retry-After"] == "3"


def test_seeded_faults_repeat_exactly(acs: httpx.Client, control: httpx.Client) -> None:
    def run() -> list[int]:
        control.put("/emulator/faults", json={"error500Rate": 0.5, "seed": 42})
        return [acs.post(UNKNOWN_CALL).status_code for _ in range(20)]

    first, second = run(), run()

    assert first == second
    assert set(first) == {404, 500}


def test_faults_spare_the_control_api(control: httpx.Client) -> None:
    control.put("/emulator/faults", json={"error500Rate": 1, "throttleRate": 1})

    assert control.get("/emulator/calls").status_code == 200


def test_unsigned_requests_are_401_before_any_fault(control: httpx.Client) -> None:
    control.put("/emulator/faults", json={"failNext": {"status": 500, "count": 1}})

    assert control.post(UNKNOWN_CALL).status_code == 401
    assert control.get("/emulator/faults").json()["failNext"]["count"] == 1


def test_slow_response_is_delayed_after_the_call_is_placed(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put("/emulator/faults", json={"slowRate": 1, "slowMs": 300})
    started = time.monotonic()

    response = acs.post(CALLS, json=call_body(receiver.url))

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_dropped_callbacks_are_never_posted_but_are_recorded(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    short_call(control)
    control.put("/emulator/faults", json={"dropCallbackRate": 1})

    call_leg_id = place_call(acs, call_body(receiver.url))

    call = wait_until_terminated(control, call_leg_id)
    assert receiver.events(call_leg_id) == []
    assert {e["status"] for e in call["events"]} == {"dropped"}


def test_duplicated_callbacks_are_posted_twice_in_a_row(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    short_call(control)
    control.put("/emulator/faults", json={"duplicateCallbackRate": 1})

    call_leg_id = place_call(acs, call_body(receiver.url))

    call = wait_until_terminated(control, call_leg_id)
    sent = [e["envelope"] for e in call["events"]]
    # An event counts as delivered at its first copy; the second may still be on its way.
    deadline = time.monotonic() + 5
    while len(receiver.events(call_leg_id)) < 2 * len(sent) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert receiver.events(call_leg_id) == [envelope for envelope in sent for _ in range(2)]


def test_delayed_callbacks_arrive_late_and_in_order(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    short_call(control)
    control.put("/emulator/faults", json={"delayCallbackRate": 1, "delayCallbackMs": 30_000})
    started = time.monotonic()

    call_leg_id = place_call(acs, call_body(receiver.url))

    receiver.wait_for(
        call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Establishing"
    )
    assert time.monotonic() - started >= 30 * TIME_SCALE  # the emulator's time runs faster
    call = control.get(f"/emulator/calls/{call_leg_id}").json()
    assert call["events"][0]["delayMs"] == 30_000
    assert control.get("/emulator/faults").json()["delayCallbackMs"] == 30_000


def test_failed_callback_is_retried_until_delivered(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    receiver.failures_to_answer = 2

    call_leg_id = place_call(acs, call_body(receiver.url))

    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    first = control.get(f"/emulator/calls/{call_leg_id}").json()["events"][0]
    assert (first["status"], first["attempts"]) == ("delivered", 3)
    states = [e["data"]["CallState"] for e in receiver.events(call_leg_id)[:2]]
    assert states == ["Establishing", "Established"]


def test_dead_callback_endpoint_gives_up_and_never_blocks_other_calls(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    short_call(control)
    dead = {**call_body(receiver.url), "callbackUri": "http://127.0.0.1:9/callbacks"}

    dead_call = place_call(acs, dead)
    live_call = place_call(acs, call_body(receiver.url))

    receiver.wait_for(live_call, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    call = wait_until_terminated(control, dead_call)
    assert [(e["status"], e["attempts"]) for e in call["events"]][0] == ("failed", 4)


@pytest.mark.parametrize(
    "body",
    [
        {"error500Rate": 2},
        {"throttleRate": "often"},
        {"seed": "x"},
        {"failNext": {"status": 200}},
        {"failNext": {"status": 500, "count": -1}},
        {"failNext": 3},
        {"chaos": True},
    ],
)
def test_invalid_fault_settings_are_400(control: httpx.Client, body: dict[str, object]) -> None:
    response = control.put("/emulator/faults", json=body)

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}


def test_deleting_faults_restores_the_defaults(control: httpx.Client) -> None:
    control.put("/emulator/faults", json={"error500Rate": 1, "seed": 3})

    assert control.delete("/emulator/faults").status_code == 204
    faults = control.get("/emulator/faults").json()
    assert faults["error500Rate"] == 0 and faults["seed"] is None and faults["failNext"] is None
