"""SQLite under 20 concurrent writers from every path at once (dashboard actions, callbacks,
the worker's sweeps and its task threads) on one database file, as `make run` uses it: no
"database is locked", and every write stored (tests/integration/sqlite_writers.py writes)."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from acs_emulator.__main__ import connection_string
from acs_emulator.signature import generate_access_key
from bench.server import free_port, wait_for_emulator
from tests.config.test_settings import ROOT

ROUNDS = 8
DASHBOARDS, CALLBACKS = 6, 6  # as sqlite_writers.py starts them


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    """A standalone emulator on a free port; the connection string that reaches it."""
    key, port = generate_access_key(), free_port()
    command = [sys.executable, "-m", "acs_emulator", "--port", str(port), "--access-key", key]
    with (tmp_path / "emulator.log").open("wb") as log:
        emulator = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, stderr=log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as phones:
            wait_for_emulator(phones)
        yield connection_string("127.0.0.1", port, key)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def test_twenty_writers_on_one_sqlite_file_meet_no_lock(tmp_path: Path, provider: str) -> None:
    keep = {"PATH", "HOME", "LANG", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep} | {
        "LOCAL_ENV_FILE": os.devnull,
        "DEBUG": "true",  # the development settings `make run` uses (no HTTPS redirect)
        "SQLITE_PATH": str(tmp_path / "writers.sqlite3"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ACS_CONNECTION_STRING": provider,
        "ACS_API_VERSION": "2021-04-15-preview1",  # the callbacks posted are the preview's
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",  # the emulator's own callbacks go nowhere
        "CALLOUT_STARTS_PER_SECOND": "50",
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.sqlite_writers", str(ROUNDS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["errors"] == [] and result["locked"] == [], result
    assert "database is locked" not in done.stderr
    assert result["incidents"] == result["resolved"] == DASHBOARDS * ROUNDS
    assert result["events"] == CALLBACKS * ROUNDS  # every callback stored, once
    assert len(result["done"]) == 16  # every writer thread finished its rounds
    assert result["tasks"].get("FAILED", 0) == 0 and result["tasks"].get("SUCCESSFUL", 0) > 0
