"""Benchmark: a call-out while the provider loses, repeats and delays its callbacks.

    python -m bench.faults [--short] [--runs 1] [--db auto|sqlite|postgres] [--recipients 50]
                           [--drop 0.3] [--duplicate 0.1] [--delay 0.1] [--delay-ms 3000]
                           [--no-answer 0.2] [--time-scale 0.1] [--seed 14]

Core 0: the app, as `make run` starts it on GA: daphne (it stores and applies the callbacks)
and one `manage.py run_worker` (it paces and places the calls). Core 1: the phone network,
`python -m acs_emulator` with its callback faults on (`--drop` of the callbacks never sent,
`--duplicate` sent twice, `--delay` held back `--delay-ms`), and this client.

One run: a call-out to `--recipients` people, one attempt each; most answer within 1-3 s
(simulated), press 1 a few seconds later and stay on until the app hangs up; `--no-answer` of
them let it ring. Once every person is settled (or `--timeout` passed), each person's final
state in the app (answered or not, settled) is compared with the emulator's truth (was any of
their calls connected). Targets (issue 14): people whose final state differs 0, calls beyond a
person's attempts 0. `--short` (CI) calls 20 people. Exits 1 when a run misses a target.
"""

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import httpx

from acs_emulator import EMULATOR_RESOURCE_ID
from acs_emulator.__main__ import connection_string
from acs_emulator.signature import generate_access_key
from bench.ledger import compare, ledger_once_calls_end
from bench.server import (
    LOAD_CORE,
    SERVER_CORE,
    Scratch,
    databases_to_run,
    declare,
    django_data,
    free_port,
    manage,
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

FIRST_RECIPIENT = 12065551000  # fictional (555), apart from the caller numbers (bench.data)
NUMBERS, LIMIT = 10, 5  # the pool: every person of a 50-person call-out can be rung at once
ANSWER_WINDOW_SECONDS = 10  # the policy's shortest: a lost key press costs only this
FINAL = {"acknowledged", "declined", "not_reached", "failed", "stopped"}
# The app's allowances, shortened so that a run takes a minute or two.
APP_SETTINGS = {
    "RING_TIMEOUT_SECONDS": "10",
    "RING_SWEEP_SECONDS": "1",
    "RECONCILE_AFTER_SECONDS": "5",
    "CALLOUT_STARTS_PER_SECOND": "20",
}


@dataclass(frozen=True)
class Outcome:
    database: str
    people: int
    callbacks: int  # events the emulator had to send
    dropped: int
    duplicated: int
    delayed: int
    placed: int  # calls the emulator saw
    differs: list[str]  # people whose final state in the app is not the emulator's
    duplicates: int  # calls beyond a person's attempts
    seconds: float

    @property
    def misses(self) -> list[str]:
        missed = []
        if self.differs:
            missed.append(f"{len(self.differs)} people differ ({', '.join(self.differs[:5])})")
        if self.duplicates:
            missed.append(f"{self.duplicates} calls duplicated")
        return missed

    def line(self) -> str:
        verdict = "meets every target" if not self.misses else "MISSES: " + "; ".join(self.misses)
        return (
            f"callbacks {self.callbacks}: dropped {self.dropped}, duplicated {self.duplicated},"
            f" delayed {self.delayed} | calls placed {self.placed} for {self.people} people"
            f" | final state differs {len(self.differs)} (target 0)"
            f" | calls duplicated {self.duplicates} (target 0) | {self.seconds:.0f} s | {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="20 people (CI)")
    parser.add_argument("--runs", type=int, default=1, help="each with fresh processes")
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument("--drop", type=float, default=0.3, help="share of callbacks dropped")
    parser.add_argument("--duplicate", type=float, default=0.1, help="share sent twice")
    parser.add_argument("--delay", type=float, default=0.1, help="share held back")
    parser.add_argument("--delay-ms", type=int, default=3000, help="(simulated) hold-back")
    parser.add_argument("--no-answer", type=float, default=0.2, help="share never answering")
    parser.add_argument("--time-scale", type=float, default=0.1, help="of the simulated people")
    parser.add_argument("--seed", type=int, default=14, help="of the faults and the people")
    parser.add_argument("--timeout", type=float, default=300.0, help="for everyone to settle")
    args = parser.parse_args()
    if args.short:
        args.recipients = min(args.recipients, 20)
    pin_to_load_core()
    print(
        f"faults: a call-out to {args.recipients} people ({args.no_answer:.0%} never answer)"
        f" on GA, {args.drop:.0%} of callbacks dropped, {args.duplicate:.0%} duplicated,"
        f" {args.delay:.0%} delayed {args.delay_ms} ms; emulator time scale {args.time_scale:g}."
        " daphne + worker on core 0, emulator + client on core 1"
    )
    outcomes = []
    for run in range(1, args.runs + 1):
        for database in databases_to_run(args.db):
            outcome = _run(database, args, seed=args.seed + run - 1)
            print(f"run {run} [{database}]: {outcome.line()}", flush=True)
            outcomes.append(outcome)
    sys.exit(1 if any(o.misses for o in outcomes) else 0)


def _run(database: str, args: argparse.Namespace, *, seed: int) -> Outcome:
    key = generate_access_key()
    port = free_port()
    with scratch(
        database,
        ACS_API_VERSION=NEWEST_GA_VERSION,
        ACS_CONNECTION_STRING=connection_string("127.0.0.1", port, key),
        ACS_RESOURCE_ID=EMULATOR_RESOURCE_ID,  # the audience of the emulator's callback tokens
        **APP_SETTINGS,
    ) as run:
        pool = [str(n) for n in (NUMBERS, LIMIT, 1, 0, ANSWER_WINDOW_SECONDS)]
        prepared = json.loads(django_data(run.env, "callout-pool", *pool))
        token = manage(run.env, "drf_create_token", prepared["username"]).split()[2]
        command = [sys.executable, "-m", "acs_emulator", "--port", str(port), "--access-key", key]
        command += ["--time-scale", f"{args.time_scale:g}", "--log-level", "warning"]
        with (
            running(run, "emulator", LOAD_CORE, command) as (_, emulator_log),
            serving(run) as web,
            working(run, SERVER_CORE) as worker,
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as phones,
            httpx.Client(
                base_url=f"http://127.0.0.1:{run.port}",
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            ) as api,
        ):
            wait_for_emulator(phones)
            numbers = [f"+{FIRST_RECIPIENT + n}" for n in range(args.recipients)]
            script_people(phones, numbers, args.no_answer, seed)
            faults = {
                "dropCallbackRate": args.drop,
                "duplicateCallbackRate": args.duplicate,
                "delayCallbackRate": args.delay,
                "delayCallbackMs": args.delay_ms,
                "seed": seed,
            }
            phones.put("/emulator/faults", json=faults).raise_for_status()
            outcome = _measure(run, api, phones, numbers, args.timeout)
            for name, path in (("daphne", web.stderr_path), ("worker", worker.stderr_path)):
                print_problems(name, path)
            print_problems("emulator", emulator_log)
    return outcome


def _measure(
    run: Scratch, api: httpx.Client, phones: httpx.Client, numbers: list[str], timeout: float
) -> Outcome:
    started = time.monotonic()
    incident = str(declare(api, numbers)[1])
    seen = _until_settled(run, incident, started + timeout)
    seconds = time.monotonic() - started
    ledger_once_calls_end(phones, 30)
    calls = phones.get("/emulator/calls").json()["calls"]
    events = [e for c in calls for e in c["events"]]
    truth = {n: False for n in numbers}
    for call in calls:
        for target in call["targets"]:
            truth[target] = truth.get(target, False) or call["connectedAt"] is not None
    differs = [
        n
        for n in numbers
        if seen[n]["status"] not in FINAL or bool(seen[n]["answered"]) != truth[n]
    ]
    tried = json.loads(django_data(run.env, "attempts", incident))
    duplicates, _ = compare(calls, tried)
    return Outcome(
        database=run.database,
        people=len(numbers),
        callbacks=len(events),
        dropped=sum(1 for e in events if e["status"] == "dropped"),
        duplicated=sum(1 for e in events if e["copies"] > 1),
        delayed=sum(1 for e in events if e["delayMs"]),
        placed=len(calls),
        differs=differs,
        duplicates=duplicates,
        seconds=seconds,
    )


def _until_settled(run: Scratch, incident: str, deadline: float) -> dict[str, dict[str, Any]]:
    """Each person as the app sees them, once everyone is settled or at `deadline`."""
    while True:
        seen: dict[str, dict[str, Any]] = json.loads(django_data(run.env, "people", incident))
        if all(p["status"] in FINAL for p in seen.values()) or time.monotonic() > deadline:
            return seen
        time.sleep(2)


if __name__ == "__main__":
    main()
