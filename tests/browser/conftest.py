"""A real server for browser tests: daphne on a free port, its own SQLite file and media folder.

The ACS emulator is mounted in the same process (no `ACS_CONNECTION_STRING`), so the app phones
simulated people over real HTTP and their callbacks come back to it the same way.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "browser-tests-password-0123"
# Every simulated delay (answering, ringing out, retries) is multiplied by this.
TIME_SCALE = "0.1"
ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`.ci/run` installs Debian's chromium package)")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate and seed a fresh database, serve the app with daphne, yield its base URL."""
    workdir = tmp_path_factory.mktemp("browser-server")
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
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
