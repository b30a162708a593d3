"""The app embedded in-process with no ASGI lifespan, the way the app's server (daphne) runs it."""

import asyncio
import time

import httpx
import pytest

from acs_emulator import EmulatorApp, EmulatorConfig, build_app
from tests.acs_emulator.scenarios import ACCESS_KEY, CALLS, TIME_SCALE, call_body
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth

pytestmark = pytest.mark.dialect("preview")


async def states_of(receiver: Receiver, call_leg_id: str, until: str) -> list[object]:
    # The emulator runs in this very loop: poll without blocking it.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        states = [
            e["data"]["CallState"]
            for e in receiver.events(call_leg_id)
            if str(e["eventType"]).endswith("CallLegStateChanged")
        ]
        if until in states:
            return states
        await asyncio.sleep(0.01)
    raise AssertionError(f"{call_leg_id} never reached {until}")


async def place_and_end_call(app: EmulatorApp, receiver: Receiver) -> list[object]:
    transport = httpx.ASGITransport(app=app)
    auth = HmacAuth(ACCESS_KEY)
    async with httpx.AsyncClient(transport=transport, base_url="http://acs.test", auth=auth) as acs:
        call_leg_id = (await acs.post(CALLS, json=call_body(receiver.url))).json()["callLegId"]
        await states_of(receiver, call_leg_id, "Established")
        assert (await acs.post(f"{CALLS}/{call_leg_id}/Hangup")).status_code == 202
        return await states_of(receiver, call_leg_id, "Terminated")


async def test_app_runs_in_process_without_lifespan_and_closes_cleanly(
    receiver: Receiver, control: httpx.Client
) -> None:
    app = build_app(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE))

    states = await place_and_end_call(app, receiver)
    await app.aclose()

    assert states == ["Establishing", "Established", "Terminating", "Terminated"]
    assert len(app.emulator.tasks) == 0


async def test_mounted_in_process_under_a_root_path(
    receiver: Receiver, control: httpx.Client
) -> None:
    app = build_app(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE))
    transport = httpx.ASGITransport(app=app, root_path="/acs-emulator")
    base = "http://testserver/acs-emulator"
    async with httpx.AsyncClient(
        transport=transport, base_url=base, auth=HmacAuth(ACCESS_KEY)
    ) as acs:
        response = await acs.post(CALLS, json=call_body(receiver.url))
    await app.aclose()

    assert response.status_code == 200


def test_app_can_be_driven_from_one_event_loop_after_another(
    receiver: Receiver, control: httpx.Client
) -> None:
    app = build_app(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE))

    first = asyncio.run(place_and_end_call(app, receiver))
    second = asyncio.run(place_and_end_call(app, receiver))
    asyncio.run(app.aclose())

    assert first == second == ["Establishing", "Established", "Terminating", "Terminated"]


async def test_reset_stops_ringing_calls_and_forgets_them(
    receiver: Receiver, control: httpx.Client
) -> None:
    app = build_app(EmulatorConfig(access_key=ACCESS_KEY, time_scale=1.0))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://acs.test", auth=HmacAuth(ACCESS_KEY)
    ) as acs:
        await acs.post(CALLS, json=call_body(receiver.url))
        await asyncio.sleep(0.01)
        assert len(app.emulator.tasks) > 0

        await app.reset()

        assert len(app.emulator.tasks) == 0
        assert (await acs.get("/emulator/calls")).json() == {"calls": [], "callers": {}}
    await app.aclose()
