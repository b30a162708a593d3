"""Scale-out, chosen by environment variables only: PostgreSQL, the Redis channel layer, two
daphne processes that only store callbacks (APPLY_IN_WORKER) and one `manage.py run_worker`.

A callback posted to one web process is applied by the worker and reaches a dashboard connected
to the other web process, and both processes count one declare rate limit. Needs
TEST_POSTGRES_URL and TEST_REDIS_URL (.ci/run starts both, and sets REQUIRE_POSTGRES so that CI
cannot skip this silently).
"""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from psycopg import sql
from websockets.asyncio.client import connect
from websockets.typing import Origin

from tests.calls.test_callback_view import roster_event

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
if os.environ.get("REQUIRE_POSTGRES") and not (POSTGRES_URL and REDIS_URL):
    raise RuntimeError("REQUIRE_POSTGRES is set but TEST_POSTGRES_URL or TEST_REDIS_URL is not.")

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL), reason="TEST_POSTGRES_URL and TEST_REDIS_URL are not set"
)

PREPARE = """
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from accounts.roles import Role
from accounts.services import assign_role
from calls.models import Call, CallState, Participant
from incidents.models import Incident
user = User.objects.create_user("scale-operator")
assign_role(user=user, role=Role.OPERATOR)
incident = Incident.objects.create(title="Scale-out", declared_by=user)
call = Call.objects.create(
    incident=incident, provider_call_id="0a1f0000-1111-2222-3333-444455556666",
    state=CallState.ESTABLISHED,
)
Participant.objects.create(call=call, identifier="+14255550101", state="ringing")
client = Client()
client.force_login(user)
cache.clear()  # rate-limit counts left in Redis by an earlier run
import json
print(json.dumps({"incident": incident.pk, "call": call.pk, "secret": call.callback_secret,
                  "session": client.cookies["sessionid"].value,
                  "token": Token.objects.create(user=user).key}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _database() -> Iterator[str]:
    name = f"scale_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def _processes(commands: list[list[str]], env: dict[str, str]) -> Iterator[None]:
    started = [
        subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for c in commands
    ]
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=10)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(0.2)


def test_a_callback_to_one_process_reaches_a_dashboard_on_another() -> None:
    with _database() as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "APPLY_IN_WORKER": "true",
            "WORKER_POLL_MS": "20",
            "DEBUG": "true",
            "DECLARE_RATE": "2/min",
            "ACS_CONNECTION_STRING": "endpoint=http://127.0.0.1:9/;accesskey=cHc=",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        prepared = subprocess.run(
            [*manage, "shell", "--no-imports", "-c", PREPARE],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        ids = json.loads(prepared.stdout.strip().splitlines()[-1])
        web_a, web_b = _free_port(), _free_port()
        daphne = str(Path(sys.executable).with_name("daphne"))
        daphnes = [
            [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
            for port in (web_a, web_b)
        ]
        with ExitStack() as running:
            running.enter_context(_processes(daphnes, env))
            for port in (web_a, web_b):
                _wait_for(f"http://127.0.0.1:{port}/healthz")

            def stored_but_not_applied_until_the_worker_starts() -> None:
                time.sleep(0.5)  # a web process that applied would have done so by now
                assert _unapplied_events(database_url) == 1
                running.enter_context(_processes([[*manage, "run_worker"]], env))

            frame = asyncio.run(
                _join_seen_on_b(ids, web_a, web_b, stored_but_not_applied_until_the_worker_starts)
            )
            declares = [_declare(ids["token"], port) for port in (web_a, web_a, web_b)]
    assert frame["kind"] == "participant"
    assert (frame["data"]["identifier"], frame["data"]["state"]) == ("+14255550101", "joined")
    # Two (invalid) declarations on A use up the limit that B enforces: the count is shared.
    assert declares == [400, 400, 429]


def _declare(token: str, port: int) -> int:
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/incidents/",
        json={},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    return response.status_code


def _unapplied_events(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        unapplied = "SELECT count(*) FROM calls_callevent WHERE applied_at IS NULL"
        row = conn.execute(unapplied).fetchone()
    return int(row[0]) if row else 0


async def _join_seen_on_b(
    ids: dict[str, Any], web_a: int, web_b: int, after_posting: Callable[[], None]
) -> dict[str, Any]:
    origin = f"http://127.0.0.1:{web_b}"
    async with connect(
        f"ws://127.0.0.1:{web_b}/ws/incidents/{ids['incident']}/",
        origin=Origin(origin),
        additional_headers={"Cookie": f"sessionid={ids['session']}"},
    ) as dashboard:
        snapshot = json.loads(await asyncio.wait_for(dashboard.recv(), 10))
        assert snapshot["type"] == "snapshot"
        body = json.dumps([roster_event(["+14255550101"], _now())])
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"http://127.0.0.1:{web_a}/calls/{ids['call']}/events/{ids['secret']}/",
                content=body,
                headers={"Content-Type": "application/json"},
            )
        assert response.status_code == 200, response.text
        await asyncio.to_thread(after_posting)
        while True:
            message = json.loads(await asyncio.wait_for(dashboard.recv(), 15))
            for event in message.get("events", []):
                if event["kind"] == "participant":
                    return dict(event)


def _now() -> datetime:
    return datetime.now(UTC)
