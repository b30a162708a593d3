"""The pacing rule under two workers: two processes pace one call-out over one database at the
same time, and no caller number ever has more calls in flight than its limit, the starts keep
the start rate, and everyone is tried exactly as the policy says. On SQLite always, and on
PostgreSQL (row locks, truly concurrent transactions) when TEST_POSTGRES_URL is set."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.config.test_settings import ROOT

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
PEOPLE = 30
RATE = 200  # starts per second: a gap of 5 ms between any two


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set"),
            ],
        ),
    ]
)
def database(request: Any, tmp_path: Path) -> dict[str, str]:
    if request.param == "postgres":
        db = {"DATABASE_URL": POSTGRES_URL}
    else:
        db = {"SQLITE_PATH": str(tmp_path / "race.sqlite3")}
    return {**db, "DEBUG": "true", "CALLOUT_STARTS_PER_SECOND": str(RATE)}


def _race(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "VIRTUAL_ENV"}}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.callouts.race", *args],
        cwd=ROOT,
        env={**clean, "LOCAL_ENV_FILE": os.devnull, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip().splitlines()[-1]


def _most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = now = 0
    for _, step in edges:  # at a tie an end sorts first: a slot freed, then taken
        now += step
        most = max(most, now)
    return most


def test_two_pacers_never_exceed_a_numbers_limit_or_the_start_rate(
    database: dict[str, str],
) -> None:
    callout_id = _finish(_race(database, "setup", str(PEOPLE)))
    workers = [_race(database, "work", callout_id) for _ in range(2)]
    seen = [json.loads(_finish(w)) for w in workers]

    for most in seen:  # as each worker saw it after every step
        assert set(most.values()) <= {1, 2}, seen
    rows = json.loads(_finish(_race(database, "report", callout_id)))
    assert rows["state"] == "finished" and rows["statuses"] == ["not_reached"]
    attempts = rows["attempts"]
    # Everyone tried exactly max_attempts (2) times, numbered 1 and 2: none lost, none twice.
    tries: dict[int, list[int]] = {}
    for recipient, number, *_ in attempts:
        tries.setdefault(recipient, []).append(number)
    assert len(tries) == PEOPLE and all(sorted(n) == [1, 2] for n in tries.values())
    by_number: dict[str, list[tuple[datetime, datetime]]] = {}
    for _, _, number, created, ended, _ in attempts:
        span = (datetime.fromisoformat(created), datetime.fromisoformat(ended))
        by_number.setdefault(number, []).append(span)
    assert {number: _most_at_once(spans) for number, spans in by_number.items()} == {
        "+14255550001": 2,
        "+14255550002": 2,
    }
    starts = sorted(datetime.fromisoformat(a[5]) for a in attempts)
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= timedelta(seconds=1 / RATE)
