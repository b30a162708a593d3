"""Soak: WebSocket churn, steady callbacks and a running call-out for half an hour; nothing grows.

    python -m bench.soak [--minutes 30] [--db auto|sqlite|postgres] [--redis] [--cycles 200]
                         [--tones 1] [--sample-seconds 30] [--warmup-minutes 2.5]

Core 0: the app as `make run` starts it (but DEBUG off, on GA): daphne, and one
`manage.py run_worker`. Core 1: the phone network, `python -m acs_emulator`, and this client,
which for `--minutes`:
- opens the incident dashboard's WebSocket `--cycles` times a minute, signed in, waits for its
  snapshot and closes it again;
- keeps one bridge call up (two people who answer and stay on) and has one of them press #
  `--tones` times a second: a steady stream of provider callbacks, one per key;
- runs a call-out paced to outlast the run (CALLOUT_STARTS_PER_SECOND 0.5 over 2 caller numbers
  of 2 lines; people answer within 1-3 s and press 1, a tenth never answer), whose calls bring
  their own callbacks.
Every `--sample-seconds` it reads daphne's and the worker's RSS and open file descriptors from
/proc, the database connections (SQLite: descriptors open on the database file; PostgreSQL:
the client backends on the run's database in pg_stat_activity), the task rows ready and running,
the callbacks stored but not yet applied, and from /metrics the call-out's backlog and the
WebSockets daphne counts as open. `--redis` gives the app the Redis channel layer
(TEST_REDIS_URL), as scaled out.

Verdict (bench.soak_report): the first sample after `--warmup-minutes` is the baseline, the last
is the end. Each process's RSS grows <= 10 %, its descriptors by <= FD_SLACK, the database
connections by <= CONNECTION_SLACK, task rows and unapplied callbacks by <= QUEUE_SLACK; every
WebSocket cycle and key press succeeds, the call-out is still running at the end, and no log
says "database is locked". Exits 1 on a miss.
"""

import argparse
import asyncio
import json
import math
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import psycopg

from acs_emulator import EMULATOR_RESOURCE_ID
from acs_emulator.__main__ import connection_string
from acs_emulator.signature import generate_access_key
from bench.dashboards import close_dashboards, open_dashboards
from bench.server import (
    LOAD_CORE,
    SERVER_CORE,
    Process,
    Scratch,
    databases_to_run,
    declare,
    django_data,
    free_port,
    manage,
    open_files,
    pin_to_load_core,
    print_problems,
    problems,
    redis_url,
    rss_mb,
    running,
    scratch,
    script_people,
    serving,
    wait_for_emulator,
    working,
)
from bench.soak_report import Load, Sample, misses, print_table
from calls.dialects import NEWEST_GA_VERSION

FIRST_RECIPIENT = 12065570000  # fictional (555), apart from the other benches' people
BRIDGE = ["+12065579990", "+12065579991"]
NUMBERS, LIMIT = 2, 2  # the call-out's caller numbers, and lines on each
STARTS_PER_SECOND = 0.5
NO_ANSWER = 0.1
PROCESSES = ("daphne", "worker")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="of load")
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--redis", action="store_true", help="channel layer on TEST_REDIS_URL")
    parser.add_argument("--cycles", type=int, default=200, help="WebSocket cycles a minute")
    parser.add_argument("--tones", type=float, default=1.0, help="key presses (callbacks) a s")
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    parser.add_argument("--warmup-minutes", type=float, default=2.5, help="before the baseline")
    args = parser.parse_args()
    args.warmup_minutes = min(args.warmup_minutes, args.minutes / 3)
    pin_to_load_core()
    print(
        f"soak: {args.minutes:g} min of {args.cycles} dashboard WebSocket cycles a minute, a"
        f" bridge call taking {args.tones:g} key presses a second, and a call-out paced at"
        f" {STARTS_PER_SECOND:g} calls/s; sampled every {args.sample_seconds:g} s, baseline"
        f" after {args.warmup_minutes:g} min. daphne + worker on core 0, emulator + client on"
        " core 1",
        flush=True,
    )
    failed = False
    for database in databases_to_run(args.db):
        failed |= _run(database, args)
    sys.exit(1 if failed else 0)


def _run(database: str, args: argparse.Namespace) -> bool:
    """One soak on `database`; True if it missed a target."""
    key = generate_access_key()
    port = free_port()
    settings = {
        "ACS_API_VERSION": NEWEST_GA_VERSION,
        "ACS_CONNECTION_STRING": connection_string("127.0.0.1", port, key),
        "ACS_RESOURCE_ID": EMULATOR_RESOURCE_ID,  # the audience of the emulator's tokens
        "CALLOUT_STARTS_PER_SECOND": f"{STARTS_PER_SECOND:g}",
    }
    if args.redis:
        settings["REDIS_URL"] = redis_url()
    with scratch(database, **settings) as run:
        pool = [str(n) for n in (NUMBERS, LIMIT, 1, 0)]
        prepared = json.loads(django_data(run.env, "callout-pool", *pool))
        token = manage(run.env, "drf_create_token", prepared["username"]).split()[2]
        command = [sys.executable, "-m", "acs_emulator", "--port", str(port), "--access-key", key]
        with ExitStack() as stack:
            _, emulator_log = stack.enter_context(
                running(run, "emulator", LOAD_CORE, [*command, "--log-level", "warning"])
            )
            web = stack.enter_context(serving(run))
            worker = stack.enter_context(working(run, SERVER_CORE))
            phones = stack.enter_context(
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
            )
            api = stack.enter_context(
                httpx.Client(
                    base_url=f"http://127.0.0.1:{run.port}",
                    headers={"Authorization": f"Token {token}"},
                    timeout=30,
                )
            )
            wait_for_emulator(phones)
            bridge, leg, person = _bridge(phones, api)
            people = math.ceil(args.minutes * 60 * STARTS_PER_SECOND * 1.25) + 10
            numbers = [f"+{FIRST_RECIPIENT + n}" for n in range(people)]
            script_people(phones, numbers, NO_ANSWER, seed=14)
            declare(api, numbers)
            print(f"[{database}] bridge call up; call-out to {people} people declared", flush=True)
            soak = Soak(run, {"daphne": web, "worker": worker}, str(phones.base_url), args)
            tones = f"/emulator/calls/{leg}/participants/{person}/tones"
            load = asyncio.run(soak.load(prepared["session_cookie"], bridge, tones))
            placed = len(phones.get("/emulator/calls", params={"view": "summary"}).json()["calls"])
        load.calls_placed = placed
        return _verdict(database, soak.samples, load, [web, worker], emulator_log, args)


def _bridge(phones: httpx.Client, api: httpx.Client) -> tuple[int, str, str]:
    """Declare a bridge call to BRIDGE, both answering and staying on; the incident's id and,
    once someone is connected, the emulator's call leg id and that person's participant id."""
    for number in BRIDGE:
        behaviour = {"outcome": "answer", "answerAfterMs": 1000}
        phones.put(f"/emulator/behaviours/{number}", json=behaviour).raise_for_status()
    incident = declare(api, BRIDGE, mode="bridge")[1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for call in phones.get("/emulator/calls").json()["calls"]:
            for person in call["participants"]:
                if person["rawId"].endswith(BRIDGE[0]) and person["state"] == "connected":
                    return incident, call["callLegId"], person["participantId"]
        time.sleep(0.5)
    raise SystemExit("the bridge call was not connected within 60 s.")


class Soak:
    """The load of one run and its samples."""

    def __init__(
        self,
        run: Scratch,
        processes: dict[str, Process],
        emulator_url: str,
        args: argparse.Namespace,
    ) -> None:
        self.run, self.processes, self.args = run, processes, args
        self.emulator_url = emulator_url
        self.samples: list[Sample] = []
        self.sqlite_path = run.env.get("SQLITE_PATH", "") if run.database == "sqlite" else ""

    async def load(self, cookie: str, incident: int, tones: str) -> Load:
        """Churn `incident`'s dashboard socket, post key presses to the emulator's `tones`
        address, and sample, for the run's minutes; what was done."""
        load = Load()
        started = time.monotonic()
        until = started + self.args.minutes * 60
        base_url = f"http://127.0.0.1:{self.run.port}"
        await asyncio.gather(
            self._churn(base_url, incident, cookie, until, load),
            self._press(tones, until, load),
            self._sample(base_url, started, until, load),
        )
        return load

    async def _churn(
        self, base_url: str, incident: int, cookie: str, until: float, load: Load
    ) -> None:
        gap = 60 / self.args.cycles
        next_at = time.monotonic()
        while next_at < until:
            try:
                await close_dashboards(await open_dashboards(base_url, incident, cookie, 1))
                load.cycles += 1
            except Exception as error:  # noqa: BLE001 - counted and shown, the soak goes on
                load.failures.append(f"WebSocket cycle: {error!r}")
            next_at += gap
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _press(self, path: str, until: float, load: Load) -> None:
        gap = 1 / self.args.tones
        next_at = time.monotonic()
        async with httpx.AsyncClient(base_url=self.emulator_url, timeout=10) as phones:
            while next_at < until:
                try:
                    (await phones.post(path, json={"tones": "#"})).raise_for_status()
                    load.tones += 1
                except httpx.HTTPError as error:
                    load.failures.append(f"key press: {error!r}")
                next_at += gap
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _sample(self, base_url: str, started: float, until: float, load: Load) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as app:
            next_at = started
            while next_at <= until + 1:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                metrics = (await app.get("/metrics")).text
                sample = await asyncio.to_thread(self._read, time.monotonic() - started, metrics)
                sample = sample.with_load(load)
                self.samples.append(sample)
                print(sample.line(), flush=True)
                next_at += self.args.sample_seconds

    def _read(self, at_s: float, metrics: str) -> Sample:
        """One sample: /proc of each process, the database's connections, the queues."""
        files = {name: open_files(p.pid) for name, p in self.processes.items()}
        if self.sqlite_path:
            connections = sum(t == self.sqlite_path for f in files.values() for t in f)
        else:
            connections = _postgres_connections(self.run.env["DATABASE_URL"])
        queues = json.loads(django_data(self.run.env, "queues"))
        return Sample(
            at_s=at_s,
            rss_mb={name: rss_mb(p.pid) for name, p in self.processes.items()},
            fds={name: len(f) for name, f in files.items()},
            connections=connections,
            tasks=queues["tasks_ready"] + queues["tasks_running"],
            pending=queues["events_pending"],
            backlog=int(_metric(metrics, "incident_reporter_callout_backlog_recipients")),
            sockets=int(_metric(metrics, "incident_reporter_websocket_clients")),
            callbacks=int(_metric(metrics, "incident_reporter_callbacks_ingested_total")),
        )


def _postgres_connections(url: str) -> int:
    """Client backends on the run's database, but this one."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


def _metric(text: str, name: str) -> float:
    """The value of an unlabelled series in a Prometheus text exposition (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def _verdict(
    database: str,
    samples: list[Sample],
    load: Load,
    processes: list[Process],
    emulator_log: Path,
    args: argparse.Namespace,
) -> bool:
    print_table(database, samples)
    locked = sum(
        "database is locked" in line for p in processes for line in problems(p.stderr_path)
    )
    for name, process in zip(PROCESSES, processes, strict=True):
        print_problems(name, process.stderr_path)
    print_problems("emulator", emulator_log)
    missed = misses(samples, load, args.warmup_minutes * 60, locked)
    print(f"[{database}] {load.line()}")
    verdict = "MISSES: " + "; ".join(missed) if missed else "meets every target"
    print(f"[{database}] {verdict}")
    return bool(missed)


if __name__ == "__main__":
    main()
