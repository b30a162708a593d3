"""Hostile input through a real daphne on 127.0.0.1, where the ASGI path differs from the test
client's: the body size limit is applied at the ASGI edge (config.body_limits), before Django
spools a body or the embedded emulator reads one; WebSocket handshakes and frames meet the real
server. Afterwards the server's log holds no traceback."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.dialects import dialect_version
from tests.live_server import LiveServer, serve

PREPARE = """
import json
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from calls.models import Call
from incidents.models import Incident
admin = User.objects.get(username="admin")
incident = Incident.objects.create(title="Hostile", declared_by=admin)
call = Call.objects.create(incident=incident, provider_call_id="hostile-call")
client = Client()
client.force_login(admin)
print(json.dumps({"incident": incident.pk, "call": call.pk, "secret": call.callback_secret,
                  "session": client.cookies["sessionid"].value,
                  "token": Token.objects.get_or_create(user=admin)[0].key}))
"""
LIMIT = 2_621_440  # Django's default DATA_UPLOAD_MAX_MEMORY_SIZE, which the server runs with


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    workdir = tmp_path_factory.mktemp("hostile-daphne")
    # The 2021 preview's callbacks carry no token: their bodies are the first thing read.
    with serve(workdir, ACS_API_VERSION=dialect_version("preview")) as live:
        yield live, workdir / "daphne.log"


@pytest.fixture(scope="module")
def ids(server: tuple[LiveServer, Path]) -> dict[str, Any]:
    output = server[0].manage("shell", "-c", PREPARE)
    return dict(json.loads(output.strip().splitlines()[-1]))


def _chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536


def _assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert {"code", "message"} <= set(body)
    if code is not None:
        assert body["code"] == code, body


def test_bodies_past_the_limit_are_refused_with_413_on_every_interface(
    server: tuple[LiveServer, Path], ids: dict[str, Any]
) -> None:
    live = server[0]
    auth = {"Authorization": f"Token {ids['token']}", "content-type": "application/json"}
    paths = [
        ("/api/incidents/", auth),
        (f"/calls/{ids['call']}/events/{ids['secret']}/", {"content-type": "application/json"}),
        ("/acs-emulator/calling/calls", {"content-type": "application/json"}),
        ("/incidents/declare/", {"content-type": "application/x-www-form-urlencoded"}),
    ]
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for path, headers in paths:
            sized = client.post(path, content=b"x" * (LIMIT + 1), headers=headers)
            _assert_error(sized, 413, "too_large")
            # Sent without a length (chunked): counted as it arrives.
            chunked = client.post(path, content=_chunks(LIMIT + 65536), headers=headers)
            _assert_error(chunked, 413, "too_large")
        # Just inside the limit is read (and refused for what it says, not for its size).
        inside = client.post(paths[0][0], content=b"[" + b" " * (LIMIT - 2) + b"]", headers=auth)
        _assert_error(inside, 400)


def test_unreadable_json_gets_the_error_shape_through_daphne(
    server: tuple[LiveServer, Path], ids: dict[str, Any]
) -> None:
    live = server[0]
    headers = {"Authorization": f"Token {ids['token']}", "content-type": "application/json"}
    callback = f"/calls/{ids['call']}/events/{ids['secret']}/"
    with httpx.Client(base_url=live.url, timeout=30) as client:
        for path in ("/api/incidents/", callback):
            _assert_error(
                client.post(path, content=b"[" * 100_000, headers=headers), 400, "too_deep"
            )
            _assert_error(client.post(path, content=b'{"title": "\xff"}', headers=headers), 400)
            surrogate = b'{"title": "\\ud800"}'
            _assert_error(client.post(path, content=surrogate, headers=headers), 400)


async def _refused(url: str, headers: dict[str, str], origin: str) -> int:
    try:
        async with connect(url, origin=Origin(origin), additional_headers=headers):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def test_websockets_refuse_unknown_paths_and_answer_unreadable_frames(
    server: tuple[LiveServer, Path], ids: dict[str, Any]
) -> None:
    live = server[0]
    ws = live.url.replace("http://", "ws://")
    cookie = {"Cookie": f"sessionid={ids['session']}"}

    async def run() -> None:
        for path in ("/ws/nowhere/", "/ws/incidents/abc/", "/"):
            assert await _refused(ws + path, cookie, live.url) == 403, path
        async with connect(
            f"{ws}/ws/incidents/{ids['incident']}/",
            origin=Origin(live.url),
            additional_headers=cookie,
        ) as socket:
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "snapshot"
            await socket.send("{not json")
            error = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert (error["type"], error["code"]) == ("error", "not_json")
            await socket.send(b"\x00\xff")
            error = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert (error["type"], error["code"]) == ("error", "binary_frame")
            await socket.send('{"type": "resync"}')  # still open, still working
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "snapshot"

    asyncio.run(run())


def test_the_server_logged_no_traceback(server: tuple[LiveServer, Path]) -> None:
    # Last in the module (pytest keeps the file's order): after everything above was sent.
    log = server[1].read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
