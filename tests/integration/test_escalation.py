"""An escalation over real sockets: daphne with the embedded emulator, a real `manage.py
run_worker` running the steps and sending the webhooks, and a webhook receiver in this test.

An Alertmanager alert posted to an integration with a three-step policy declares an incident:
step 1's person answers and presses nothing; step 2 is called once its wait is over (300 s,
scaled by ESCALATION_TIME_SCALE to 3 s); its person presses 1 through the emulator's control
API; the escalation stops there, so step 3's person is never called; the resolved alert
resolves the incident and hangs up. The receiver fails the declaration twice and takes it the
third time, and every delivery verifies with the subscription's secret.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.integration.test_webhooks import FAIL_FIRST, TOKEN, Receiver, _until, receiver, worker
from tests.live_server import LiveServer, serve

__all__ = ["receiver", "worker"]  # the fixtures this module uses
SAMPLES = Path(__file__).resolve().parents[1] / "integrations" / "samples"
FIRST, SECOND, THIRD = "+14255550171", "+14255550172", "+14255550173"
EVENTS = [
    "incident.declared",
    "incident.acknowledged",
    "incident.escalated",
    "incident.resolved",
]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    overrides = {
        "ESCALATION_TIME_SCALE": "0.01",
        "WEBHOOK_RETRY_SCALE": "0.02",
        "WEBHOOK_ALLOW_LOCAL_HTTP": "true",
    }
    workdir = tmp_path / "server"
    workdir.mkdir()
    with serve(workdir, **overrides) as server:
        yield server


def _calls_to(emulator: httpx.Client, number: str) -> list[dict[str, Any]]:
    calls = emulator.get("/calls").json()["calls"]
    return [c for c in calls if any(number in p["rawId"] for p in c["participants"])]


def _press_1(emulator: httpx.Client, number: str) -> None:
    """Press 1 as `number` on each of their calls still up (the emulator's control API)."""
    for call in _calls_to(emulator, number):
        for person in call["participants"]:
            if number in person["rawId"] and person["state"] == "connected":
                url = f"/calls/{call['callLegId']}/participants/{person['participantId']}/tones"
                emulator.post(url, json={"tones": "1"})


def test_an_alert_escalates_until_someone_acknowledges_and_its_clearing_resolves(
    live: LiveServer, worker: Path, receiver: Receiver
) -> None:
    token = live.manage("shell", "-c", TOKEN).strip().splitlines()[-1]
    api = httpx.Client(
        base_url=f"{live.url}/api", headers={"Authorization": f"Token {token}"}, timeout=10
    )
    emulator = httpx.Client(base_url=f"{live.url}/acs-emulator/emulator", timeout=10)
    emulator.post("/reset").raise_for_status()
    for number in (FIRST, SECOND, THIRD):  # everyone answers; nobody presses by themselves
        behaviour = {"outcome": "answer", "answerAfterMs": 500}
        emulator.put(f"/behaviours/{number.replace('+', '%2B')}", json=behaviour)
    hook = api.post("/webhooks/", json={"url": receiver.url, "events": EVENTS})
    assert hook.status_code == 201, hook.text
    steps = [
        {"targets": [number], "mode": "broadcast", "wait_seconds": 300}
        for number in (FIRST, SECOND, THIRD)
    ]
    policy = api.post("/escalation-policies/", json={"name": "On call", "steps": steps})
    assert policy.status_code == 201, policy.text
    integration = api.post(
        "/integrations/",
        json={
            "name": "Prometheus",
            "kind": "alertmanager",
            "escalation_policy": policy.json()["id"],
        },
    )
    assert integration.status_code == 201, integration.text
    alert_url = integration.json()["url"]

    firing = httpx.post(alert_url, content=(SAMPLES / "alertmanager-firing.json").read_bytes())
    assert firing.status_code == 202, firing.text
    _until(lambda: receiver.of("incident.declared"), 30, worker)
    incident_id = json.loads(receiver.of("incident.declared")[0].body)["data"]["incident"]["id"]
    declared_at = time.monotonic()
    _until(lambda: _calls_to(emulator, FIRST), 30, worker)
    # Step 2 comes once step 1's wait (3 s) is over: nobody pressed.
    _until(lambda: _calls_to(emulator, SECOND), 30, worker)
    assert time.monotonic() - declared_at >= 2.5
    assert not receiver.of("incident.acknowledged")

    def acknowledged() -> bool:
        _press_1(emulator, SECOND)  # again until heard: on GA the app listens once answered
        return bool(receiver.of("incident.acknowledged"))

    _until(acknowledged, 30, worker)
    timeline = lambda: api.get(f"/incidents/{incident_id}/timeline/").json()["results"]  # noqa: E731
    stopped = "Escalation stopped after step 2 of 3: enough people acknowledged."
    _until(lambda: any(e["text"] == stopped for e in timeline()), 30, worker)
    time.sleep(4)  # past step 3's time (3 s after step 2): it must not run
    assert not _calls_to(emulator, THIRD)
    # Step 1's person is still on the line (answered, pressed nothing): resolving hangs up.
    assert [c["state"] for c in _calls_to(emulator, FIRST)] == ["Established"]

    cleared = httpx.post(alert_url, content=(SAMPLES / "alertmanager-resolved.json").read_bytes())
    assert cleared.status_code == 202, cleared.text
    _until(lambda: api.get(f"/incidents/{incident_id}/").json()["status"] == "resolved", 30, worker)
    _until(
        lambda: all(c["state"] == "Terminated" for c in emulator.get("/calls").json()["calls"]),
        30,
        worker,
    )
    _until(lambda: receiver.of("incident.resolved"), 30, worker)
    _until(lambda: len(receiver.of("incident.declared")) == FAIL_FIRST + 1, 30, worker)

    assert [t.answered for t in receiver.of("incident.declared")] == [500, 500, 204]
    verify = Webhook(hook.json()["secret"])
    for got in receiver.got:
        verify.verify(got.body, got.headers)
    (ack,) = receiver.of("incident.acknowledged")
    assert json.loads(ack.body)["data"]["person"]["identifier"] == SECOND
    escalated = [
        json.loads(r.body)["data"]["escalation"] for r in receiver.of("incident.escalated")
    ]
    assert [(e["step"], e["called"]) for e in escalated] == [(1, 1), (2, 1)]
    (resolved,) = receiver.of("incident.resolved")
    assert json.loads(resolved.body)["data"]["incident"]["id"] == incident_id
