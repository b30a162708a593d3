"""The scale-out tests' processes: a throw-away PostgreSQL database, the Redis channel layer, and
daphnes, workers and emulators started as real processes on free loopback ports.

Needs TEST_POSTGRES_URL and TEST_REDIS_URL (.ci/run starts both, and sets REQUIRE_POSTGRES so that
CI cannot skip these tests silently).
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from bench.server import scratch_postgres

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
if os.environ.get("REQUIRE_POSTGRES") and not (POSTGRES_URL and REDIS_URL):
    raise RuntimeError("REQUIRE_POSTGRES is set but TEST_POSTGRES_URL or TEST_REDIS_URL is not.")

needs_postgres_and_redis = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL), reason="TEST_POSTGRES_URL and TEST_REDIS_URL are not set"
)
MANAGE = [sys.executable, "manage.py"]
DAPHNE = str(Path(sys.executable).with_name("daphne"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new database on TEST_POSTGRES_URL's server, dropped on exit."""
    with scratch_postgres(POSTGRES_URL, prefix="scale") as url:
        yield url


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command to its end; its stdout."""
    done = subprocess.run(
        [*MANAGE, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


@contextmanager
def processes(
    commands: list[list[str]], env: dict[str, str], logs: Path | None = None
) -> Iterator[list["subprocess.Popen[bytes]"]]:
    """Start `commands` in the project's directory; stop them on exit. Each one's stderr goes
    to a numbered file in `logs` after its command line (discarded without `logs`), never to a
    pipe that nobody reads: a chatty process would block once the pipe filled."""
    started = []
    for command in commands:
        if logs is None:
            stderr: IO[bytes] | int = subprocess.DEVNULL
        else:
            stderr = (logs / f"{len(list(logs.glob('*.log')))}.log").open("wb")
            stderr.write(" ".join(command).encode() + b"\n")
            stderr.flush()
        started.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        )
        if not isinstance(stderr, int):
            stderr.close()
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=10)


def log_tails(logs: Path, lines: int = 30) -> str:
    """The end of every log in `logs`, to print when a test fails."""
    parts = []
    for log in sorted(logs.glob("*.log"), key=lambda p: int(p.stem)):
        text = log.read_text(errors="replace").splitlines()
        parts.append("\n".join([f"== {text[0] if text else log.name}", *text[1:][-lines:]]))
    return "\n".join(parts)


def wait_for(url: str) -> None:
    """Return once `url` answers 200 (within 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(0.2)
