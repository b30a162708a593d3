"""A real server for browser and integration tests: daphne on a free port, with its own SQLite
file and media folder (a pytest plugin, loaded by tests/conftest.py).

The ACS emulator is mounted in the same process (no `ACS_CONNECTION_STRING`), so the app phones
simulated people over real HTTP and their callbacks come back to it the same way.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PASSWORD = "browser-tests-password-0123"
# Every simulated delay (answering, ringing out, retries) is multiplied by this.
TIME_SCALE = "0.1"
ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"daphne exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/accounts/login/", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"daphne did not answer within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]  # run manage.py with it to reach the server's database

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout


@contextmanager
def serve(workdir: Path, **overrides: str) -> Iterator[LiveServer]:
    """Migrate and seed a fresh database in `workdir`, then serve the app with daphne and the
    embedded emulator until the block ends; `overrides` are environment variables added."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DEBUG": "true",
        "SECURE_SSL_REDIRECT": "false",
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        "SQLITE_PATH": str(workdir / "db.sqlite3"),
        "MEDIA_ROOT": str(workdir / "media"),
        "PORT": str(port),
        "PUBLIC_BASE_URL": base_url,
        "ACS_EMULATOR_TIME_SCALE": TIME_SCALE,
        # Unanswered phones give up after 5 s, checked every second.
        "RING_TIMEOUT_SECONDS": "5",
        "RING_SWEEP_SECONDS": "1",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "ACS_CONNECTION_STRING"):
        env.pop(name, None)
    env.update(overrides)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    daphne = Path(sys.executable).with_name("daphne")
    log = workdir / "daphne.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(daphne), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base_url, server, log)
        yield LiveServer(base_url, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on daphne with the embedded emulator, a fresh database, the demo data."""
    with serve(tmp_path_factory.mktemp("live-server")) as server:
        yield server


@pytest.fixture(scope="session")
def live_server_url(daphne_server: LiveServer) -> str:
    return daphne_server.url
