"""The scale-out database: the app migrates and serves on PostgreSQL when DATABASE_URL names it.

Needs a server: .ci/run starts one and sets TEST_POSTGRES_URL. Without it the test is skipped,
and .ci/run sets REQUIRE_POSTGRES so that CI can never skip it silently.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.config.test_settings import ROOT, run_manage

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
if not POSTGRES_URL and os.environ.get("REQUIRE_POSTGRES"):
    raise RuntimeError("REQUIRE_POSTGRES is set but TEST_POSTGRES_URL is not.")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_app_migrates_seeds_and_serves_on_postgresql() -> None:
    env = {"DATABASE_URL": POSTGRES_URL, "DEBUG": "true"}
    for command in (("migrate", "--noinput"), ("seed_demo",), ("seed_demo",)):
        result = run_manage(*command, env=env)
        assert result.returncode == 0, result.stderr
    port = _free_port()
    daphne = Path(sys.executable).with_name("daphne")
    server = subprocess.Popen(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = _get(port, "/accounts/login/")
                break
            except OSError:
                assert time.monotonic() < deadline, "daphne did not start"
                time.sleep(0.2)
        assert response.split(b"\r\n", 1)[0].endswith(b" 200 OK"), response[:200]
        assert b"Sign in" in response
        counts = run_manage(
            "shell",
            "--no-imports",
            "-c",
            "from django.db import connection; from contacts.models import Contact, ContactGroup;"
            "print(connection.vendor, Contact.objects.count(), ContactGroup.objects.count())",
            env=env,
        )
        assert counts.stdout.split() == ["postgresql", "5", "2"], counts.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
