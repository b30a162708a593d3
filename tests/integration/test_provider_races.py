"""Provider races through the whole stack: the app on daphne, the embedded emulator, real HTTP.

The emulator's slow-response fault answers create-call only after the call's first callbacks
have reached the app, the race the ACS documentation warns about.
"""

import time
from typing import Any

import httpx

from tests.live_server import LiveServer


def _token(server: LiveServer) -> str:
    return server.manage("drf_create_token", "operator").split()[2]


def _wait_for_call(api: httpx.Client, incident_id: int, ready: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        call: dict[str, Any] = api.get(f"/api/incidents/{incident_id}/").json()["calls"][0]
        if ready(call) or time.monotonic() > deadline:
            return call
        time.sleep(0.2)


def test_callbacks_that_beat_the_create_call_response_do_not_corrupt_the_call(
    daphne_server: LiveServer,
) -> None:
    emulator = httpx.Client(base_url=f"{daphne_server.url}/acs-emulator/emulator", timeout=10)
    emulator.post("/reset").raise_for_status()
    emulator.put("/behaviours/%2B14255550101", json={"outcome": "answer", "answerAfterMs": 100})
    # Every provider reply is held back 1.5 s after the request took effect.
    emulator.put("/faults", json={"slowRate": 1, "slowMs": 1500}).raise_for_status()
    api = httpx.Client(
        base_url=daphne_server.url,
        headers={"Authorization": f"Token {_token(daphne_server)}"},
        timeout=30,
    )
    try:
        response = api.post(
            "/api/incidents/",
            json={"title": "Race", "targets": ["+14255550101"], "prompt": None},
        )
        assert response.status_code == 201, response.text
        incident_id = response.json()["id"]
        call = _wait_for_call(api, incident_id, lambda c: c["participants"][0]["state"] == "joined")
        provider_calls = emulator.get("/calls").json()
        timeline = [
            e["text"] for e in api.get(f"/api/incidents/{incident_id}/timeline/").json()["results"]
        ]
    finally:
        emulator.delete("/faults")
    (emulated,) = provider_calls["calls"] if isinstance(provider_calls, dict) else provider_calls
    assert call["state"] == "established"
    assert call["provider_call_id"] == emulated["callLegId"]
    assert call["participants"][0]["state"] == "joined"
    assert call["last_error"] == ""
    # The race did happen: the provider's events were applied before its create-call answer.
    established = timeline.index("The call connected.")
    placed = next(i for i, text in enumerate(timeline) if text.startswith("Call placed"))
    assert established < placed
