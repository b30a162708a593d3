"""A call-out at scale: PostgreSQL, the Redis channel layer, two daphnes that only store callbacks
(APPLY_IN_WORKER), two `manage.py run_worker` processes, one standalone emulator for them all.

200 people and a policy of 2 attempts, 1 s apart: a quarter press 1, a quarter press 2, a quarter
never answer, a quarter are answering machines. Each worker gives the provider its own daphne
for callbacks, so both web processes store some. One worker is killed with SIGKILL mid-run and a
replacement started. Every recipient ends up tried exactly as the policy says, the emulator saw
one call per attempt and never more than a number's limit at once, and the progress reached a
dashboard connected to the daphne that did not take the declaration.
"""

import asyncio
import json
import os
import subprocess
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from websockets.asyncio.client import connect
from websockets.typing import Origin

from acs_emulator.__main__ import connection_string
from acs_emulator.config import EMULATOR_RESOURCE_ID
from acs_emulator.signature import generate_access_key
from bench.ledger import ledger_once_calls_end
from tests.integration.servers import (
    DAPHNE,
    MANAGE,
    REDIS_URL,
    free_port,
    log_tails,
    manage,
    needs_postgres_and_redis,
    processes,
    scratch_database,
    wait_for,
)

pytestmark = needs_postgres_and_redis

RECIPIENTS = 200
CALLER_NUMBERS = 10
LIMIT = 2  # simultaneous calls per caller number
# Simulated delays x 0.05: answering after 2 s takes 0.1 s, ringing out (10 s) 0.5 s.
TIME_SCALE = "0.05"
RING_OUT_MS = "10000"
KILL_AFTER_CALLS = 60  # of about 300
FINISH_WITHIN_S = 120
# After the call-out has finished, its last confirmations play (0.25 s) and the calls end; a
# call whose hang-up died with the killed worker is hung up 30 s after its answer
# (callouts.services.keypad.CONFIRMATION_GRACE).
HUNG_UP_WITHIN_S = 40

# People press their key 40 s (simulated; 2 s real) into the message, as someone who listens to
# it does, and stay on the line until the app ends the call (after its spoken confirmation). On
# GA a key counts only once the app listens for that person's keys (it asks when they join), as
# with real people: counting from the answer instead, a busy machine that took 3 s to ask (a
# worker just killed, its events applied by the other) lost them.
PRESS = {
    "outcome": "answer",
    "answerAfterMs": 2000,
    "tonesAfter": "message",
    "tonesAfterMs": 40_000,
}
PEOPLE: dict[str, dict[str, Any]] = {
    "press 1": {**PRESS, "tones": "1"},
    "press 2": {**PRESS, "tones": "2"},
    "no answer": {"outcome": "no-answer"},
    "voicemail": {"outcome": "voicemail", "answerAfterMs": 1000, "hangUpAfterMs": 4000},
}
# What the policy (2 attempts; every way of not answering is retried) makes of each.
EXPECTED = {
    "press 1": ("acknowledged", ("acknowledged",)),
    "press 2": ("declined", ("declined_by_key",)),
    "no answer": ("not_reached", ("no_answer", "no_answer")),
    "voicemail": ("not_reached", ("answered_no_key", "answered_no_key")),
}

PREPARE = (
    f"LIMIT, NUMBERS = {LIMIT}, {CALLER_NUMBERS}\n"
    + """
import json
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files import File
from django.test import Client
from rest_framework.authtoken.models import Token
from accounts.roles import Role
from accounts.services import assign_role
from callouts.models import CallerNumber, CalloutPolicy
from calls.models import AudioPrompt
from calls.services.prompts import save_prompt
from incidents.management.commands.seed_demo import DEFAULT_PROMPT_FILE
user = User.objects.create_user("scale-operator")
assign_role(user=user, role=Role.OPERATOR)
CallerNumber.objects.bulk_create(
    CallerNumber(number=f"+1425555{300 + n:04d}", max_simultaneous_calls=LIMIT)
    for n in range(NUMBERS)
)
CalloutPolicy.objects.create(
    name="Twice, 1 s apart", max_attempts=2, retry_wait_seconds=1, is_default=True
)
with DEFAULT_PROMPT_FILE.open("rb") as wav:
    save_prompt(prompt=AudioPrompt(name="Press 1", is_default=True), audio=File(wav, "p.wav"))
client = Client()
client.force_login(user)
cache.clear()  # rate-limit counts left in Redis by an earlier run
print(json.dumps({"session": client.cookies["sessionid"].value,
                  "token": Token.objects.create(user=user).key}))
"""
)


def _person(index: int) -> str:
    return list(PEOPLE)[index % len(PEOPLE)]


def _number(index: int) -> str:
    return f"+1206555{index:04d}"


def test_a_callout_survives_a_killed_worker_and_reaches_the_other_daphne(tmp_path: Path) -> None:
    key = generate_access_key()
    emulator = free_port()
    web_a, web_b = free_port(), free_port()
    with scratch_database() as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "APPLY_IN_WORKER": "true",
            "WORKER_POLL_MS": "20",
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
            "ACS_CONNECTION_STRING": connection_string("127.0.0.1", emulator, key),
            # On GA, the audience of the emulator's callback JWTs (its default resource id).
            "ACS_RESOURCE_ID": EMULATOR_RESOURCE_ID,
            "CALLOUT_STARTS_PER_SECOND": "20",
            # The emulator ends unanswered calls itself (0.5 s real); the app's own ring timeout
            # is only for events that never come. At 5 s, a busy machine (a worker just killed,
            # the other applying its backlog) applied some answers later than that, and the
            # sweep gave up on people who had answered.
            "RING_TIMEOUT_SECONDS": "20",
            # The killed worker's create-calls are sent again 5 s after it took them up, by
            # the recovery sweep that follows each ring sweep.
            "CALLOUT_LEASE_SECONDS": "5",
            "RING_SWEEP_SECONDS": "1",
        }
        manage(env, "migrate", "--noinput")
        ids = json.loads(manage(env, "shell", "--no-imports", "-c", PREPARE).splitlines()[-1])
        try:
            with ExitStack() as running:
                cluster = _Cluster(running, env, tmp_path, emulator, key, (web_a, web_b))
                result = cluster.run(ids)
                tried = _attempts(database_url)
        except BaseException:
            print(log_tails(tmp_path))
            print(_unfinished(database_url))
            raise
    people = {_number(i): _person(i) for i in range(RECIPIENTS)}
    outcomes = Counter((people[who], status, outcomes) for who, (status, outcomes) in tried.items())
    assert outcomes == Counter({(kind, *expected): 50 for kind, expected in EXPECTED.items()})
    # One call per attempt: none repeated (the killed worker's claims were placed once), none lost.
    calls = Counter(target for call in result.ledger["calls"] for target in call["targets"])
    assert calls == {who: len(outcomes) for who, (_, outcomes) in tried.items()}
    peaks = {number: c["peakInFlight"] for number, c in result.ledger["callers"].items()}
    assert len(peaks) == CALLER_NUMBERS and max(peaks.values()) == LIMIT, peaks
    assert result.calls_when_killed < len(result.ledger["calls"])  # it died mid-run
    # Every call ended: each answer was confirmed and hung up, every other call rang out.
    live = [call for call in result.ledger["calls"] if call["endedAt"] is None]
    assert live == [], f"{len(live)} calls still up after the call-out finished"
    assert result.last_progress["state"] == "finished", result.last_progress
    assert {k: v for k, v in result.last_progress["counts"].items() if v} == {
        "acknowledged": 50,
        "declined": 50,
        "not_reached": 100,
    }


@dataclass(frozen=True)
class _Result:
    ledger: dict[str, Any]  # GET /emulator/calls?view=summary at the end
    calls_when_killed: int
    last_progress: dict[str, Any]  # the last "callout" event the dashboard heard


class _Cluster:
    """The emulator, daphnes A and B, and two workers (callbacks to A and to B respectively)."""

    def __init__(
        self,
        running: ExitStack,
        env: dict[str, str],
        logs: Path,
        emulator: int,
        key: str,
        webs: tuple[int, int],
    ) -> None:
        self.running, self.env, self.logs, self.webs = running, env, logs, webs
        self.emulator = f"http://127.0.0.1:{emulator}"
        command = ["-m", "acs_emulator", "--port", str(emulator), "--access-key", key]
        command += ["--time-scale", TIME_SCALE, "--ring-timeout-ms", RING_OUT_MS]
        self._start([MANAGE[0], *command, "--log-level", "warning"], self.emulator)
        for port in webs:
            daphne = [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
            self._start(daphne, f"http://127.0.0.1:{port}")
        wait_for(f"{self.emulator}/emulator/behaviours")
        for port in webs:
            wait_for(f"http://127.0.0.1:{port}/healthz")
        self.workers = [self._start([*MANAGE, "run_worker"], f"http://127.0.0.1:{p}") for p in webs]

    def _start(self, command: list[str], public_url: str) -> "subprocess.Popen[bytes]":
        env = {**self.env, "PUBLIC_BASE_URL": public_url}
        return self.running.enter_context(processes([command], env, self.logs))[0]

    def run(self, ids: dict[str, str]) -> _Result:
        with httpx.Client(base_url=self.emulator, timeout=10) as phones:
            for index in range(RECIPIENTS):
                behaviour = PEOPLE[_person(index)]
                response = phones.put(f"/emulator/behaviours/{_number(index)}", json=behaviour)
                response.raise_for_status()
            incident = _declare(self.webs[0], ids["token"])
            killed: list[int] = []
            kill = threading.Thread(target=self._kill_a_worker_mid_run, args=(phones, killed))
            last = asyncio.run(_progress_seen_on(self.webs[1], incident, ids["session"], kill))
            ledger = ledger_once_calls_end(phones, HUNG_UP_WITHIN_S)
        return _Result(ledger, killed[0], last)

    def _kill_a_worker_mid_run(self, phones: httpx.Client, killed: list[int]) -> None:
        deadline = time.monotonic() + FINISH_WITHIN_S
        while time.monotonic() < deadline:
            calls = len(phones.get("/emulator/calls", params={"view": "summary"}).json()["calls"])
            if calls >= KILL_AFTER_CALLS:
                break
            time.sleep(0.05)
        self.workers[0].kill()  # SIGKILL: no clean-up, its claims stay taken
        self.workers[0].wait()
        killed.append(calls)
        self._start([*MANAGE, "run_worker"], f"http://127.0.0.1:{self.webs[0]}")


def _declare(port: int, token: str) -> int:
    targets = [_number(i) for i in range(RECIPIENTS)]
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/incidents/",
        json={"title": "Power cut", "mode": "broadcast", "targets": targets},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def _progress_seen_on(
    port: int, incident: int, session: str, meanwhile: threading.Thread
) -> dict[str, Any]:
    """The call-out's progress as a dashboard on `port` hears it, until it is finished; the
    last "callout" event. `meanwhile` runs while the dashboard listens."""
    async with connect(
        f"ws://127.0.0.1:{port}/ws/incidents/{incident}/",
        origin=Origin(f"http://127.0.0.1:{port}"),
        additional_headers={"Cookie": f"sessionid={session}"},
    ) as dashboard:
        snapshot = json.loads(await asyncio.wait_for(dashboard.recv(), 10))
        assert snapshot["type"] == "snapshot"
        meanwhile.start()
        deadline = time.monotonic() + FINISH_WITHIN_S
        progress: dict[str, Any] = {}
        while progress.get("state") != "finished":
            try:
                frame = await asyncio.wait_for(dashboard.recv(), deadline - time.monotonic())
            except TimeoutError:
                raise AssertionError(f"not finished in {FINISH_WITHIN_S} s: {progress}") from None
            message = json.loads(frame)
            for event in message.get("events", []):
                if event["kind"] == "callout":
                    progress = dict(event["data"])
        await asyncio.to_thread(meanwhile.join)
        return progress


def _attempts(database_url: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each recipient's status and the outcomes of its attempts, in order."""
    query = """
        SELECT r.identifier, r.status, a.outcome FROM callouts_recipient r
        LEFT JOIN callouts_attempt a ON a.recipient_id = r.id ORDER BY r.position, a.number
    """
    tried: dict[str, tuple[str, tuple[str, ...]]] = {}
    with psycopg.connect(database_url) as conn:
        for identifier, status, outcome in conn.execute(query).fetchall():
            earlier = tried.get(identifier, (status, ()))[1]
            tried[identifier] = (status, earlier + ((outcome,) if outcome is not None else ()))
    return tried


def _unfinished(database_url: str) -> str:
    """What a failed run left unfinished: each recipient still pending or dialling, with its
    attempts' calls and every event stored for them, to tell a lost callback from a lost task."""
    recipients = """
        SELECT r.identifier, r.status, a.number, a.outcome, a.claimed_at, a.answered_at,
               a.ended_at, a.hang_up_at, c.id, c.state, c.media_state, c.provider_call_id,
               c.reconciled_at, c.updated_at
        FROM callouts_recipient r LEFT JOIN callouts_attempt a ON a.recipient_id = r.id
        LEFT JOIN calls_call c ON c.id = a.call_id
        WHERE r.status IN ('pending', 'dialling') ORDER BY r.position, a.number
    """
    events = """
        SELECT event_type, received_at, applied_at FROM calls_callevent
        WHERE call_id = %s ORDER BY id
    """
    lines = ["Unfinished recipients (attempt, call, its events):"]
    with psycopg.connect(database_url) as conn:
        for row in conn.execute(recipients).fetchall():
            lines.append("  " + " | ".join(map(str, row)))
            if row[8] is not None:
                for event in conn.execute(events, (row[8],)).fetchall():
                    lines.append("      " + " | ".join(map(str, event)))
    return "\n".join(lines)
