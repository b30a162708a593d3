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
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
from websockets.asyncio.client import connect
from websockets.typing import Origin

from calls.dialects import PREVIEW_VERSION
from tests.calls.test_callback_view import roster_event
from tests.integration.servers import (
    DAPHNE,
    MANAGE,
    REDIS_URL,
    free_port,
    manage,
    needs_postgres_and_redis,
    processes,
    scratch_database,
    wait_for,
)

pytestmark = needs_postgres_and_redis

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


def test_a_callback_to_one_process_reaches_a_dashboard_on_another() -> None:
    with scratch_database() as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "APPLY_IN_WORKER": "true",
            "WORKER_POLL_MS": "20",
            "DEBUG": "true",
            "DECLARE_RATE": "2/min",
            "ACS_CONNECTION_STRING": "endpoint=http://127.0.0.1:9/;accesskey=cHc=",
            # It posts the preview's unsigned callbacks itself: the preview, explicitly.
            "ACS_API_VERSION": PREVIEW_VERSION,
        }
        manage(env, "migrate", "--noinput")
        prepared = manage(env, "shell", "--no-imports", "-c", PREPARE)
        ids = json.loads(prepared.strip().splitlines()[-1])
        web_a, web_b = free_port(), free_port()
        daphnes = [
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
            for port in (web_a, web_b)
        ]
        with ExitStack() as running:
            running.enter_context(processes(daphnes, env))
            for port in (web_a, web_b):
                wait_for(f"http://127.0.0.1:{port}/healthz")

            def stored_but_not_applied_until_the_worker_starts() -> None:
                time.sleep(0.5)  # a web process that applied would have done so by now
                assert _unapplied_events(database_url) == 1
                running.enter_context(processes([[*MANAGE, "run_worker"]], env))

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
