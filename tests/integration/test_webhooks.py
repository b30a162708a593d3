"""Webhooks over real sockets: daphne with the embedded emulator, a real `manage.py run_worker`
sending the deliveries, and a receiver on 127.0.0.1 in this test that verifies each one.

An incident is declared from the API as a call-out to one scripted person who presses 1, then
resolved from the API. The receiver fails the declaration's first two tries and takes the third
(retry waits scaled down by WEBHOOK_RETRY_SCALE), and sees declared, acknowledged, the call-out
finished and resolved, each signed with the subscription's secret.
"""

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.live_server import ROOT, LiveServer, serve

NUMBER = "+14255550188"
EVENTS = ["incident.declared", "incident.acknowledged", "incident.resolved", "callout.finished"]
FAIL_FIRST = 2  # tries of the declaration answered 500
TOKEN = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
print(Token.objects.get_or_create(user=User.objects.get(username="admin"))[0].key)
"""


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    url: str = ""
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.got if json.loads(r.body)["type"] == event_type]

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            declared = [r for r in self.got if json.loads(r.body)["type"] == "incident.declared"]
            is_declared = json.loads(body)["type"] == "incident.declared"
            status = 500 if is_declared and len(declared) < FAIL_FIRST else 204
            self.got.append(Received(headers, body, status))
            return status


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    seen = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  # http.server's spelling
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = seen.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    overrides = {"WEBHOOK_RETRY_SCALE": "0.02", "WEBHOOK_ALLOW_LOCAL_HTTP": "true"}
    workdir = tmp_path / "server"
    workdir.mkdir()
    with serve(workdir, **overrides) as server:
        yield server


@pytest.fixture
def worker(live: LiveServer, tmp_path: Path) -> Iterator[Path]:
    """The real `manage.py run_worker` on the server's database; stopped with SIGTERM."""
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "run_worker"],
            cwd=ROOT,
            env={**live.env, "PYTHONUNBUFFERED": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _until(lambda: "Worker running tasks" in log.read_text(), 30, log)
        yield log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _until(done: Any, seconds: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, log.read_text() if log else "timed out"
        time.sleep(0.1)


def test_deliveries_are_signed_retried_and_arrive_for_an_incidents_life(
    live: LiveServer, worker: Path, receiver: Receiver
) -> None:
    token = live.manage("shell", "-c", TOKEN).strip().splitlines()[-1]
    api = httpx.Client(
        base_url=f"{live.url}/api", headers={"Authorization": f"Token {token}"}, timeout=10
    )
    made = api.post("/webhooks/", json={"url": receiver.url, "events": EVENTS})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    emulator = httpx.Client(base_url=f"{live.url}/acs-emulator/emulator", timeout=10)
    emulator.post("/reset").raise_for_status()
    # 1.5 s after answering (time scale 0.1): on GA keys count once the app listens for them.
    person = {"outcome": "answer", "answerAfterMs": 500, "tones": "1", "tonesAfterMs": 15_000}
    emulator.put(f"/behaviours/{NUMBER.replace('+', '%2B')}", json=person).raise_for_status()

    declared = api.post(
        "/incidents/", json={"title": "Webhooks", "targets": [NUMBER], "mode": "broadcast"}
    )
    assert declared.status_code == 201, declared.text
    incident_id = declared.json()["id"]
    _until(lambda: receiver.of("incident.acknowledged"), 60, worker)
    assert api.post(f"/incidents/{incident_id}/resolve/").status_code == 200
    _until(lambda: receiver.of("incident.resolved") and receiver.of("callout.finished"), 60, worker)
    _until(lambda: len(receiver.of("incident.declared")) == FAIL_FIRST + 1, 30, worker)

    # The declaration: failed twice, taken on the third try; the same id and body each time.
    tries = receiver.of("incident.declared")
    assert [t.answered for t in tries] == [500, 500, 204]
    assert len({t.headers["webhook-id"] for t in tries}) == 1
    assert len({t.body for t in tries}) == 1
    hook = Webhook(secret)
    for got in receiver.got:  # every try of every event verifies, as a receiver checks it
        assert got.headers["content-type"] == "application/json"
        hook.verify(got.body, got.headers)
    (ack,) = receiver.of("incident.acknowledged")
    ack_data = json.loads(ack.body)["data"]
    assert ack_data["person"]["identifier"] == NUMBER
    assert ack_data["person"]["via"] == "callout"
    assert ack_data["incident"]["id"] == incident_id
    (resolved,) = receiver.of("incident.resolved")
    assert json.loads(resolved.body)["data"]["incident"]["status"] == "resolved"
    (finished,) = receiver.of("callout.finished")
    counts = json.loads(finished.body)["data"]["callout"]["counts"]
    assert counts["acknowledged"] == 1
    ids = {r.headers["webhook-id"] for r in receiver.got}
    assert len(ids) == 4  # one id per event
    deliveries = api.get(f"/webhooks/{made.json()['id']}/deliveries/").json()["results"]
    assert {d["status"] for d in deliveries} == {"delivered"}
    (declared_row,) = [d for d in deliveries if d["event_type"] == "incident.declared"]
    assert [a["status_code"] for a in declared_row["attempts"]] == [500, 500, 204]
