"""`GET /emulator/calls` as a ledger: every call since the reset, with its caller number, targets
and times, and the calls in flight per caller number (what a pacing test checks)."""

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from acs_emulator import EmulatorApp, EmulatorConfig, build_app
from tests.acs_emulator.scenarios import (
    ACCESS_KEY,
    CALLEE,
    CALLER_ID,
    CALLS,
    TIME_SCALE,
    call_body,
    established_call,
    phone,
    place_call,
)
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth

pytestmark = pytest.mark.dialect("preview")

OTHER_CALLER = "+14255550101"
SECOND = "+14255550124"
MANY_CALLS = 510


def listed(control: httpx.Client, call_leg_id: str) -> dict[str, Any]:
    call: dict[str, Any] = control.get(f"/emulator/calls/{call_leg_id}").json()
    return call


def moment(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset() == UTC.utcoffset(None)
    return parsed


def wait_terminated(receiver: Receiver, call_leg_id: str) -> None:
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def from_caller(receiver_url: str, caller: str, *targets: str) -> dict[str, object]:
    body = call_body(receiver_url, *(phone(t) for t in targets))
    return {**body, "alternateCallerId": {"value": caller}}


def peak_from_times(calls: list[dict[str, Any]]) -> dict[str, int]:
    """The pacing rule as a test outside the emulator would compute it from the listed times."""
    changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for call in calls:
        changes[call["callerId"]].append((moment(call["createdAt"]), 1))
        if call["endedAt"] is not None:
            changes[call["callerId"]].append((moment(call["endedAt"]), -1))
    peaks = {}
    for caller, moments in changes.items():
        in_flight = peak = 0
        for _, change in sorted(moments):
            in_flight += change
            peak = max(peak, in_flight)
        peaks[caller] = peak
    return peaks


def test_an_answered_call_lists_its_caller_targets_and_times_in_order(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    body = call_body(receiver.url, phone(CALLEE), phone(SECOND))
    call_leg_id = established_call(acs, receiver, body)
    acs.post(f"{CALLS}/{call_leg_id}/Hangup").raise_for_status()
    wait_terminated(receiver, call_leg_id)

    call = listed(control, call_leg_id)

    assert call["callerId"] == CALLER_ID
    assert call["targets"] == [CALLEE, SECOND]
    created, connected, ended = (moment(call[k]) for k in ("createdAt", "connectedAt", "endedAt"))
    assert created < connected < ended


def test_an_unanswered_call_ends_without_ever_connecting(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": "no-answer"})

    call_leg_id = place_call(acs, call_body(receiver.url))
    wait_terminated(receiver, call_leg_id)

    call = listed(control, call_leg_id)
    assert call["connectedAt"] is None
    ring_s = (moment(call["endedAt"]) - moment(call["createdAt"])).total_seconds()
    assert ring_s >= 30 * TIME_SCALE


def test_times_stay_null_until_reached_and_a_ringing_call_hung_up_never_connects(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 10_000})
    call_leg_id = place_call(acs, call_body(receiver.url))
    ringing = listed(control, call_leg_id)

    acs.post(f"{CALLS}/{call_leg_id}/Hangup").raise_for_status()

    assert ringing["state"] == "Establishing"
    assert ringing["connectedAt"] is None and ringing["endedAt"] is None

    call = listed(control, call_leg_id)
    assert call["connectedAt"] is None and call["endedAt"] is not None
    assert control.get("/emulator/calls").json()["callers"][CALLER_ID]["inFlight"] == 0
    wait_terminated(receiver, call_leg_id)


def test_callers_count_calls_in_flight_per_number(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    first = established_call(acs, receiver, from_caller(receiver.url, CALLER_ID, CALLEE))
    place_call(acs, from_caller(receiver.url, CALLER_ID, SECOND))
    acs.post(f"{CALLS}/{first}/Hangup").raise_for_status()
    place_call(acs, from_caller(receiver.url, CALLER_ID, "+14255550125"))
    place_call(acs, from_caller(receiver.url, OTHER_CALLER, "+14255550126"))

    listing = control.get("/emulator/calls").json()

    assert listing["callers"] == {
        CALLER_ID: {"calls": 3, "inFlight": 2, "peakInFlight": 2},
        OTHER_CALLER: {"calls": 1, "inFlight": 1, "peakInFlight": 1},
    }
    assert peak_from_times(listing["calls"]) == {CALLER_ID: 2, OTHER_CALLER: 1}


def test_calls_to_acs_users_only_count_for_no_number(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    user = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-0000000000dd"
    body = {
        **call_body(receiver.url, {"communicationUser": {"id": user}}),
        "alternateCallerId": None,
    }
    body = {k: v for k, v in body.items() if v is not None}

    place_call(acs, body)

    listing = control.get("/emulator/calls").json()
    assert [c["targets"] for c in listing["calls"]] == [[user]]
    assert listing["callers"] == {}


def test_summary_view_leaves_out_participants_media_and_events(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    full = control.get("/emulator/calls").json()["calls"][0]
    summary = control.get("/emulator/calls", params={"view": "summary"}).json()["calls"][0]

    assert set(full) - set(summary) == {"participants", "media", "events"}
    assert summary["callLegId"] == call_leg_id
    assert {k: full[k] for k in summary} == summary


def test_unknown_view_is_400(control: httpx.Client) -> None:
    response = control.get("/emulator/calls", params={"view": "compact"})

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}


def in_process(app: EmulatorApp) -> httpx.AsyncClient:
    # For speed, where hundreds of calls are needed and the transport is not the point.
    transport = httpx.ASGITransport(app=app)
    auth = HmacAuth(ACCESS_KEY)
    return httpx.AsyncClient(transport=transport, base_url="http://acs.test", auth=auth)


async def place_busy_calls(acs: httpx.AsyncClient, count: int) -> None:
    """Place calls that end at once: at time scale 0 the busy callee refuses immediately; their
    callbacks go to a closed port."""
    await acs.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": "busy"})
    body = call_body("http://127.0.0.1:9")
    for _ in range(count):
        assert (await acs.post(CALLS, json=body)).status_code == 200


async def summary_once_all_ended(acs: httpx.AsyncClient) -> dict[str, Any]:
    # The emulator runs in this very loop: poll without blocking it.
    while True:
        listing: dict[str, Any] = (await acs.get("/emulator/calls?view=summary")).json()
        if {c["state"] for c in listing["calls"]} == {"Terminated"}:
            return listing
        await asyncio.sleep(0.01)


def quick_emulator() -> EmulatorApp:
    return build_app(EmulatorConfig(access_key=ACCESS_KEY, time_scale=0, callback_attempts=1))


async def test_ended_calls_are_kept_until_the_reset() -> None:
    app = quick_emulator()
    async with in_process(app) as acs:
        # Past the 500 ended calls an older version kept.
        await place_busy_calls(acs, 510)

        listing = await summary_once_all_ended(acs)

        assert len(listing["calls"]) == 510
        assert listing["callers"][CALLER_ID]["calls"] == 510
        await acs.post("/emulator/reset")
        assert (await acs.get("/emulator/calls")).json() == {"calls": [], "callers": {}}
    await app.aclose()


async def test_page_shows_the_newest_hundred_calls() -> None:
    app = quick_emulator()
    async with in_process(app) as acs:
        await place_busy_calls(acs, 103)
        newest = (await acs.get("/emulator/calls?view=summary")).json()["calls"][-1]

        page = (await acs.get("/emulator/")).text

        assert page.count("<section>") == 100
        first_section = page[page.index("<section>") :].split("</section>")[0]
        assert newest["callLegId"] in first_section
        assert "3 older call(s)" in page
    await app.aclose()
