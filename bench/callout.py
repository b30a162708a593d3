"""Benchmark 3: a call-out paced over a pool of caller numbers, against the standalone emulator.

    python -m bench.callout [--runs 1] [--db auto|sqlite|postgres] [--recipients 1000]
                            [--big 10000] [--numbers 10] [--limit 2] [--starts 20]
                            [--time-scale 0.1] [--no-answer 0.1] [--pace-seconds 20]

Core 0: the app, as `make run` starts it: daphne (it stores and applies the callbacks) and one
`manage.py run_worker` (the task worker that paces and places the calls). Core 1: the phone
network, `python -m acs_emulator` (its simulated people answer after a second or so and press 1;
a share never answers, and is tried twice), and this client.

One run: a call-out to `--recipients` people is declared and dialled to the end. From the
emulator's list of calls: the achieved start rate against what the limits allow (the smaller of
CALLOUT_STARTS_PER_SECOND and the pool's simultaneous calls divided by the mean call duration
observed, both in the same run), the most calls in flight at once per caller number, and any
call beyond a recipient's attempts. Then a call-out to `--big` people is declared (the time to
201) and paced for `--pace-seconds`, after which the worker's peak RSS is read.
Targets (issue 10): start rate >= 0.9 of the allowed rate; each number reaches its limit and
never exceeds it; 0 duplicates; declare of 10,000 < 1 s; worker peak RSS < 200 MB.
Exits 1 when a run misses a target.
"""

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

import httpx

from acs_emulator import EMULATOR_RESOURCE_ID
from acs_emulator.__main__ import connection_string
from acs_emulator.signature import generate_access_key
from bench.dashboards import close_dashboards, open_dashboards
from bench.ledger import busiest_second, compare, handovers, ledger_once_calls_end, start_rate
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
    peak_rss_mb,
    pin_to_load_core,
    print_problems,
    running,
    scratch,
    script_people,
    serving,
    wait_for_emulator,
    working,
)
from calls.dialects import NEWEST_GA_VERSION

TARGET_RATIO = 0.9
TARGET_DECLARE_SECONDS = 1.0
TARGET_RSS_MB = 200.0
# Recipients' numbers: fictional (555), apart from the caller numbers (bench.data).
FIRST_RECIPIENT = 12065550000
ATTEMPTS = 2  # the benchmark's policy: people who do not answer are tried once more, at once
RETRY_WAIT_SECONDS = 0
HUNG_UP_WITHIN_S = 15


@dataclass(frozen=True)
class Options:
    recipients: int
    big: int
    numbers: int
    limit: int
    starts: float
    time_scale: float
    no_answer: float
    pace_seconds: float
    timeout: float


@dataclass(frozen=True)
class Outcome:
    database: str
    started: float  # starts per second achieved
    allowed: float  # what the limits allow
    mean_call_s: float
    busiest_second: int
    peaks: dict[str, int]  # per caller number, the most calls in flight at once
    limit: int
    duplicates: int  # calls beyond a recipient's attempts
    missing: int  # attempts that the emulator never saw
    left_up: int  # calls still up after the call-out ended (and a grace period)
    declare_small_s: float
    declare_big_s: float
    rss_mb: float

    @property
    def ratio(self) -> float:
        return self.started / self.allowed

    @property
    def misses(self) -> list[str]:
        missed = []
        if self.ratio < TARGET_RATIO:
            missed.append(f"start rate {self.ratio:.2f} < {TARGET_RATIO}")
        if max(self.peaks.values(), default=0) > self.limit:
            missed.append(f"a number had {max(self.peaks.values())} calls at once")
        if min(self.peaks.values(), default=0) < self.limit:
            missed.append("a number never reached its limit")
        if self.duplicates or self.missing:
            missed.append(f"{self.duplicates} duplicate, {self.missing} missing calls")
        if self.left_up:
            missed.append(f"{self.left_up} calls still up after the end")
        if self.declare_big_s >= TARGET_DECLARE_SECONDS:
            missed.append(f"declare took {self.declare_big_s:.2f} s")
        if self.rss_mb >= TARGET_RSS_MB:
            missed.append(f"worker peak RSS {self.rss_mb:.0f} MB")
        return missed

    def line(self) -> str:
        peaks = sorted(self.peaks.values())
        verdict = "meets every target" if not self.misses else "MISSES: " + "; ".join(self.misses)
        return (
            f"start rate {self.started:.1f}/s of {self.allowed:.1f}/s allowed = {self.ratio:.2f}"
            f" | peak in flight per number {peaks[0] if peaks else 0}..{peaks[-1] if peaks else 0}"
            f" (limit {self.limit}) | duplicates {self.duplicates}, missing {self.missing},"
            f" left up {self.left_up}"
            f" | declare {self.declare_big_s * 1000:.0f} ms | worker RSS {self.rss_mb:.0f} MB"
            f" | {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="each with fresh processes")
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--recipients", type=int, default=1000, help="dialled to the end")
    parser.add_argument("--big", type=int, default=10_000, help="declared, then paced a while")
    parser.add_argument("--numbers", type=int, default=10, help="caller numbers in the pool")
    parser.add_argument("--limit", type=int, default=2, help="simultaneous calls per number")
    parser.add_argument("--starts", type=float, default=20.0, help="call starts per second")
    parser.add_argument("--time-scale", type=float, default=0.1, help="of the simulated people")
    parser.add_argument("--no-answer", type=float, default=0.1, help="share never answering")
    parser.add_argument("--pace-seconds", type=float, default=20.0, help="of the big call-out")
    parser.add_argument("--timeout", type=float, default=600.0, help="for the call-out to end")
    args = parser.parse_args()
    options = Options(**{name: getattr(args, name) for name in _names(Options)})
    pin_to_load_core()
    print(
        f"callout: {options.recipients} recipients ({options.no_answer:.0%} never answer,"
        f" {ATTEMPTS} attempts), {options.numbers} numbers x {options.limit},"
        f" {options.starts:g} starts/s, emulator time scale {options.time_scale:g};"
        f" then {options.big} declared and paced {options.pace_seconds:g} s."
        " daphne + worker on core 0, emulator + client on core 1"
    )
    outcomes = []
    for run in range(1, args.runs + 1):
        for database in databases_to_run(args.db):
            outcome = _run(database, options)
            print(f"run {run} [{database}]: {outcome.line()}", flush=True)
            outcomes.append(outcome)
    _summarise(outcomes)
    sys.exit(1 if any(o.misses for o in outcomes) else 0)


def _run(database: str, options: Options) -> Outcome:
    key = generate_access_key()
    emulator = f"http://127.0.0.1:{free_port()}"
    port = int(emulator.rsplit(":", 1)[1])
    with scratch(
        database,
        # The default dialect: JWT-signed callbacks, verified as from real ACS.
        ACS_API_VERSION=NEWEST_GA_VERSION,
        ACS_CONNECTION_STRING=connection_string("127.0.0.1", port, key),
        # The audience of the emulator's callback tokens (GA), as for a real resource's id.
        ACS_RESOURCE_ID=EMULATOR_RESOURCE_ID,
        CALLOUT_STARTS_PER_SECOND=f"{options.starts:g}",
    ) as run:
        pool = django_data(
            run.env,
            "callout-pool",
            str(options.numbers),
            str(options.limit),
            str(ATTEMPTS),
            str(RETRY_WAIT_SECONDS),
        )
        prepared = json_object(pool)
        username, cookie = str(prepared["username"]), str(prepared["session_cookie"])
        token = manage(run.env, "drf_create_token", username).split()[2]
        command = [sys.executable, "-m", "acs_emulator", "--port", str(port)]
        command += ["--access-key", key, "--time-scale", f"{options.time_scale:g}"]
        with (
            running(run, "emulator", LOAD_CORE, [*command, "--log-level", "warning"]) as (_, log),
            serving(run) as web,
            working(run, SERVER_CORE) as worker,
            httpx.Client(base_url=emulator, timeout=30) as phones,
            httpx.Client(
                base_url=f"http://127.0.0.1:{run.port}",
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            ) as api,
        ):
            wait_for_emulator(phones)
            count = max(options.big, options.recipients)
            numbers = [f"+{FIRST_RECIPIENT + n}" for n in range(count)]
            # The big call-out starts with the same people: its pacing never gets past them.
            # People count their key from the message's start, as people listen.
            script_people(
                phones, numbers[: options.recipients], options.no_answer, 10, tones_after="message"
            )
            outcome = _measure(run, options, numbers, cookie, api, phones, worker)
            for name, path in (("daphne", web.stderr_path), ("worker", worker.stderr_path)):
                print_problems(name, path)
            print_problems("emulator", log)
    return outcome


def _measure(
    run: Scratch,
    options: Options,
    numbers: list[str],
    cookie: str,
    api: httpx.Client,
    phones: httpx.Client,
    worker: Process,
) -> Outcome:
    """Dial the small call-out to its end, then declare the big one and let it be paced."""
    small_s, incident = declare(api, numbers[: options.recipients])
    base_url = str(api.base_url).rstrip("/")
    asyncio.run(_until_finished(base_url, incident, cookie, options.timeout))
    ledger = ledger_once_calls_end(phones, HUNG_UP_WITHIN_S)
    tried = json_object(django_data(run.env, "attempts", str(incident)))
    calls = ledger["calls"]
    left_up = sum(1 for c in calls if c["endedAt"] is None)
    started, mean_call_s = start_rate([c for c in calls if c["endedAt"] is not None])
    slots = options.numbers * options.limit
    duplicates, missing = compare(calls, tried)
    ended = [c for c in calls if c["endedAt"] is not None]
    waits = sorted(handovers(ended, options.limit)) or [float("nan")]
    big_s, big_incident = declare(api, numbers[: options.big])
    time.sleep(options.pace_seconds)
    placed = len(phones.get("/emulator/calls", params={"view": "summary"}).json()["calls"])
    print(
        f"  [{run.database}] {len(calls)} calls, mean {mean_call_s:.2f} s"
        f" (pool allows {slots / mean_call_s:.1f}/s); a freed line's next call after"
        f" p50 {waits[len(waits) // 2] * 1000:.0f} / p90 {waits[len(waits) * 9 // 10] * 1000:.0f}"
        f" ms; declare {options.recipients}:"
        f" {small_s * 1000:.0f} ms; after {options.pace_seconds:g} s of the {options.big}:"
        f" {placed - len(calls)} calls placed"
    )
    return Outcome(
        database=run.database,
        started=started,
        allowed=min(options.starts, slots / mean_call_s),
        mean_call_s=mean_call_s,
        busiest_second=busiest_second(calls),
        peaks={n: int(c["peakInFlight"]) for n, c in ledger["callers"].items()},
        limit=options.limit,
        duplicates=duplicates,
        missing=missing,
        left_up=left_up,
        declare_small_s=small_s,
        declare_big_s=big_s,
        rss_mb=peak_rss_mb(worker.pid),
    )


async def _until_finished(base_url: str, incident: int, cookie: str, timeout: float) -> None:
    """Return once the incident's dashboard hears that its call-out is no longer running."""
    dashboard = (await open_dashboards(base_url, incident, cookie, 1))[0]
    state = "running"
    try:
        async with asyncio.timeout(timeout):
            while state == "running":
                message = json.loads(await dashboard.connection.recv())
                for event in message.get("events", []):
                    if event["kind"] == "callout":
                        state = event["data"]["state"]
    except TimeoutError:
        raise SystemExit(f"the call-out was still running after {timeout:g} s.") from None
    finally:
        await close_dashboards([dashboard])


def _summarise(outcomes: list[Outcome]) -> None:
    """Every run's figures per database, and the worst of each."""
    print(f"\nsummary ({len(outcomes)} runs):")
    for database in dict.fromkeys(o.database for o in outcomes):
        mine = [o for o in outcomes if o.database == database]
        peaks = [p for o in mine for p in o.peaks.values()] or [0]
        rows = [
            (
                "start rate / allowed",
                [f"{o.ratio:.2f}" for o in mine],
                f"{min(o.ratio for o in mine):.2f}",
            ),
            ("calls per s (allowed)", [f"{o.started:.1f} ({o.allowed:.1f})" for o in mine], ""),
            ("mean call s", [f"{o.mean_call_s:.2f}" for o in mine], ""),
            (
                "busiest second",
                [str(o.busiest_second) for o in mine],
                str(max(o.busiest_second for o in mine)),
            ),
            (
                "peak per number",
                [f"{min(o.peaks.values())}..{max(o.peaks.values())}" for o in mine],
                f"{min(peaks)}..{max(peaks)} (limit {mine[0].limit})",
            ),
            (
                "duplicates, missing",
                [f"{o.duplicates}, {o.missing}" for o in mine],
                f"{max(o.duplicates for o in mine)}, {max(o.missing for o in mine)}",
            ),
            ("calls left up", [str(o.left_up) for o in mine], str(max(o.left_up for o in mine))),
            ("declare small ms", [f"{o.declare_small_s * 1000:.0f}" for o in mine], ""),
            (
                "declare big ms",
                [f"{o.declare_big_s * 1000:.0f}" for o in mine],
                f"{max(o.declare_big_s for o in mine) * 1000:.0f}",
            ),
            (
                "worker peak RSS MB",
                [f"{o.rss_mb:.0f}" for o in mine],
                f"{max(o.rss_mb for o in mine):.0f}",
            ),
        ]
        for label, values, worst in rows:
            tail = f"   worst {worst}" if worst else ""
            print(f"  [{database}] {label:22} {', '.join(values)}{tail}")
        missed = sum(1 for o in mine if o.misses)
        print(f"  [{database}] runs missing a target: {missed} of {len(mine)}")


def _names(cls: type[Options]) -> list[str]:
    return [f.name for f in dataclass_fields(cls)]


def json_object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


if __name__ == "__main__":
    main()
