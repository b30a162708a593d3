"""Lost callbacks through the whole stack: the app on daphne, the embedded emulator dropping
every callback, real HTTP.

The person answers at once, but the app hears nothing of it. On GA the ring sweep reads the
call from the provider before the ring timeout gives up on them, and finds them on the call; the
2021 preview has no read, so there the ring timeout alone decides (README "Reliability").
"""

import os
import time
from typing import Any

import httpx

from calls.dialects import NEWEST_GA_VERSION, is_ga
from tests.live_server import LiveServer

NUMBER = "+14255550133"


def _participant(api: httpx.Client, incident_id: int) -> dict[str, Any]:
    """The person's row once it stops ringing (ring timeout 5 s, sweep every 1 s), or after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        call = api.get(f"/api/incidents/{incident_id}/").json()["calls"][0]
        person: dict[str, Any] = call["participants"][0]
        if person["state"] not in ("invited", "ringing") or time.monotonic() > deadline:
            return person
        time.sleep(0.3)


def test_a_person_answering_while_every_callback_is_lost_is_not_marked_unreached(
    daphne_server: LiveServer,
) -> None:
    emulator = httpx.Client(base_url=f"{daphne_server.url}/acs-emulator/emulator", timeout=10)
    emulator.post("/reset").raise_for_status()
    behaviour = {"outcome": "answer", "answerAfterMs": 100}
    emulator.put(f"/behaviours/{NUMBER.replace('+', '%2B')}", json=behaviour).raise_for_status()
    emulator.put("/faults", json={"dropCallbackRate": 1}).raise_for_status()
    token = daphne_server.manage("drf_create_token", "operator").split()[2]
    api = httpx.Client(
        base_url=daphne_server.url, headers={"Authorization": f"Token {token}"}, timeout=30
    )
    try:
        response = api.post(
            "/api/incidents/", json={"title": "Lost", "targets": [NUMBER], "prompt": None}
        )
        assert response.status_code == 201, response.text
        person = _participant(api, response.json()["id"])
        (emulated,) = emulator.get("/calls").json()["calls"]
    finally:
        emulator.delete("/faults")
        emulator.post("/reset")
    assert {e["status"] for e in emulated["events"]} == {"dropped"}  # the app heard nothing
    connected = [p for p in emulated["participants"] if p["role"] != "app"]
    assert [p["state"] for p in connected] == ["connected"]
    if is_ga(os.environ.get("ACS_API_VERSION", NEWEST_GA_VERSION)):
        assert person["state"] == "joined"
    else:
        assert person["state"] == "failed"
