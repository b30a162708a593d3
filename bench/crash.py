"""Crash benchmark: `kill -9` the worker and daphne at random points, and nothing is lost.

    python -m bench.crash [--db auto|sqlite|postgres] [--rounds 6] [--people 10] [--seed N]
                          [--short]

Core 0: daphne and one `manage.py run_worker`; core 1: the standalone emulator and this client
(as bench.callout). Each round declares a call-out through the API with an Idempotency-Key (the
first round an escalation of two call-out steps instead), and kills daphne a random few
milliseconds into the declare, or the worker a random few seconds into the dialling, or both;
each is started again at once, and the client retries the declare with the same key until it
is answered 201. Then the app is left to settle, and the emulator's list of calls is compared
with the policy: people who answer are called once, people who never answer ATTEMPTS times.
Targets (issue 14): calls beyond the policy 0, people not called as the policy says 0, work
left stuck after the restarts 0 (rows pending, dialling, terminating; tasks running), retried
declares that declared twice 0. Exits 1 on a miss. `--short`: 3 rounds (a couple of minutes).
"""

import argparse
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from acs_emulator import EMULATOR_RESOURCE_ID
from acs_emulator.__main__ import connection_string
from acs_emulator.signature import generate_access_key
from bench.callout import ATTEMPTS, json_object
from bench.server import (
    LOAD_CORE,
    ROOT,
    SERVER_CORE,
    Scratch,
    databases_to_run,
    django_data,
    free_port,
    manage,
    pin_to_load_core,
    running,
    scratch,
    wait_for_emulator,
)

FIRST_PERSON = 12065560000  # fictional (555), apart from bench.callout's people
NO_ANSWER = 0.25  # the share of people who let it ring
SETTLE_S = 240.0  # for every call-out and escalation to end after the last round
# Short lifetimes, so that recovering from a kill is seen within the run.
SETTINGS = {
    "CALLOUT_STARTS_PER_SECOND": "20",
    "CALLOUT_LEASE_SECONDS": "5",
    "RING_TIMEOUT_SECONDS": "8",
    "RING_SWEEP_SECONDS": "1",
    "IDEMPOTENCY_GRACE_SECONDS": "3",
    "TASK_LEASE_SECONDS": "10",
    "ACS_RESOURCE_ID": EMULATOR_RESOURCE_ID,
}
STEP_WAIT_S = 6  # between the escalation's two steps
# The provider redelivers a callback daphne did not take for about 20 s (0.5, 1, 2, then 4 s
# apart; the emulator's default gives up after 7.5 s, ACS's Event Grid after hours): a daphne
# down for longer than the provider retries loses callbacks, which is bench.faults' subject.
CALLBACK_ATTEMPTS = 8


class Restartable:
    """A process on a core that can be killed (SIGKILL) and started again; `ready` waits."""

    def __init__(self, run: Scratch, name: str, command: list[str]) -> None:
        self.run, self.name, self.command = run, name, command
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        out = self.run.tmp / f"{self.name}.stdout"
        said = out.stat().st_size if out.exists() else 0
        with (self.run.tmp / f"{self.name}.stderr").open("ab") as err, out.open("ab") as stdout:
            self.process = subprocess.Popen(
                ["taskset", "-c", str(SERVER_CORE), *self.command],
                cwd=ROOT,
                env=self.run.env,
                stdout=subprocess.DEVNULL if self.name == "daphne" else stdout,
                stderr=err,
            )
        self._ready(out, said)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def _ready(self, out: Path, said: int) -> None:
        deadline = time.monotonic() + 90
        while not self._is_ready(out, said):
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.process.returncode}.")
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.name} was not ready within 90 s.")
            time.sleep(0.1)

    def _is_ready(self, out: Path, said: int) -> bool:
        if self.name != "daphne":
            return out.stat().st_size > said  # the worker says when it runs
        try:
            return httpx.get(f"http://127.0.0.1:{self.run.port}/healthz").status_code == 200
        except httpx.TransportError:
            return False


@dataclass
class Declared:
    """One declare through the API and its retries with the same key."""

    title: str
    tries: int = 0
    refused: Counter[int] = field(default_factory=Counter)  # 409s and the like, by status
    replayed: bool = False
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    database: str
    rounds: int
    kills: dict[str, int]
    people: int
    calls: int
    beyond_policy: int  # calls beyond what the policy says, over all people
    not_as_policy: int  # people called another number of times than the policy says
    stuck: dict[str, int]
    declared_twice: int
    retries: int  # declare requests sent again (a killed daphne, a 409)
    replayed: int  # declares whose answer came from the key (the first request died)
    problems: list[str]

    @property
    def misses(self) -> list[str]:
        missed = [f"{n} {what}" for what, n in self.stuck.items() if n]
        if self.beyond_policy:
            missed.append(f"{self.beyond_policy} calls beyond the policy")
        if self.not_as_policy:
            missed.append(f"{self.not_as_policy} people not called as the policy says")
        if self.declared_twice:
            missed.append(f"{self.declared_twice} declares done twice")
        return missed + self.problems

    def line(self) -> str:
        verdict = "meets every target" if not self.misses else "MISSES: " + "; ".join(self.misses)
        kills = ", ".join(f"{name} {n}" for name, n in self.kills.items())
        return (
            f"{self.rounds} rounds, kill -9: {kills} | {self.people} people, {self.calls} calls"
            f" | beyond the policy {self.beyond_policy}, not as the policy {self.not_as_policy}"
            f" | stuck {sum(self.stuck.values())} | declared twice {self.declared_twice}"
            f" ({self.retries} retries, {self.replayed} answered from the key) | {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=6, help="declares, each with kills")
    parser.add_argument("--people", type=int, default=10, help="per call-out")
    parser.add_argument("--seed", type=int, default=None, help="of the kill points")
    parser.add_argument("--short", action="store_true", help="3 rounds: a couple of minutes")
    args = parser.parse_args()
    rounds = 3 if args.short else args.rounds
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    # A stopped run (CI's timeout) still stops what it started: the `finally`s run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pin_to_load_core()
    print(f"crash: {rounds} rounds of {args.people} people, seed {seed}", flush=True)
    outcomes = []
    for database in databases_to_run(args.db):
        outcome = _run(database, rounds, args.people, random.Random(seed))
        print(f"[{database}] {outcome.line()}", flush=True)
        outcomes.append(outcome)
    sys.exit(1 if any(o.misses for o in outcomes) else 0)


def _run(database: str, rounds: int, people: int, chance: random.Random) -> Outcome:
    key = generate_access_key()
    port = free_port()
    with scratch(
        database, ACS_CONNECTION_STRING=connection_string("127.0.0.1", port, key), **SETTINGS
    ) as run:
        prepared = json_object(django_data(run.env, "callout-pool", "5", "2", str(ATTEMPTS), "0"))
        token = manage(run.env, "drf_create_token", str(prepared["username"])).split()[2]
        everyone = [f"+{FIRST_PERSON + n}" for n in range((rounds - 1) * people + 3)]
        step1, step2 = everyone[-3:-1], everyone[-1:]
        policy = int(crash_data(run, "escalation-policy", *map(",".join, (step1, step2))))
        emulator = [sys.executable, "-m", "acs_emulator", "--port", str(port)]
        emulator += ["--access-key", key, "--log-level", "warning"]
        emulator += ["--callback-attempts", str(CALLBACK_ATTEMPTS)]
        daphne_command = [str(Path(sys.executable).with_name("daphne"))]
        daphne_command += ["-b", "127.0.0.1", "-p", str(run.port), "config.asgi:application"]
        crew = Crew(
            Restartable(run, "daphne", daphne_command),
            Restartable(run, "worker", [sys.executable, "-u", "manage.py", "run_worker"]),
        )
        with (
            running(run, "emulator", LOAD_CORE, emulator),
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as phones,
        ):
            wait_for_emulator(phones)
            expected = _script(phones, everyone[:-3], chance)
            expected |= _script(phones, step1, None) | _script(phones, step2, random.Random(0))
            crew.daphne.start()
            crew.worker.start()
            try:
                api = httpx.Client(
                    base_url=f"http://127.0.0.1:{run.port}",
                    headers={"Authorization": f"Token {token}"},
                    timeout=30,
                )
                bodies = [_escalation_body(policy)] + [
                    _callout_body(r, everyone[(r - 1) * people : r * people])
                    for r in range(1, rounds)
                ]
                declares = [_crash_round(api, body, crew, chance) for body in bodies]
                verdict = _settle(run, phones)
            finally:
                crew.worker.stop()
                crew.daphne.stop()
            ledger = phones.get("/emulator/calls", params={"view": "summary"}).json()
    return _outcome(database, crew, expected, ledger, verdict, declares)


@dataclass(frozen=True)
class Crew:
    daphne: Restartable
    worker: Restartable


def crash_data(run: Scratch, *args: str) -> str:
    command = [sys.executable, "-m", "bench.crash_data", *args]
    if args[0] == "escalation-policy":
        command.append(str(STEP_WAIT_S))
    result = subprocess.run(command, cwd=ROOT, env=run.env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(result.stderr)
    return result.stdout


def _script(
    phones: httpx.Client, numbers: list[str], chance: random.Random | None
) -> dict[str, int]:
    """Script each person (with `chance`: most answer and press 1; None: nobody answers) and
    return the calls the policy says each gets: 1 when answering, ATTEMPTS when not."""
    expected = {}
    for number in numbers:
        if chance is None or chance.random() < NO_ANSWER:
            behaviour: dict[str, Any] = {"outcome": "no-answer"}
            expected[number] = ATTEMPTS
        else:
            behaviour = {
                "outcome": "answer",
                "answerAfterMs": chance.randint(500, 2000),
                "tones": "1",
                "tonesAfterMs": chance.randint(1000, 3000),
            }
            expected[number] = 1
        phones.put(f"/emulator/behaviours/{number}", json=behaviour).raise_for_status()
    return expected


def _escalation_body(policy: int) -> dict[str, Any]:
    # Step 1's two people never answer, so step 2 runs (its one person acknowledges).
    return {"title": "Crash escalation", "targets": [], "escalation_policy": policy}


def _callout_body(round_: int, numbers: list[str]) -> dict[str, Any]:
    return {"title": f"Crash call-out {round_}", "mode": "broadcast", "targets": numbers}


def _crash_round(
    api: httpx.Client, body: dict[str, Any], crew: Crew, chance: random.Random
) -> Declared:
    """Declare `body` (retrying with its key) while daphne, the worker or both are killed."""
    declared = Declared(body["title"])
    sending = threading.Thread(target=_declare, args=(api, body, declared))
    victims = chance.choice([("daphne",), ("worker",), ("daphne", "worker")])
    sending.start()
    if "daphne" in victims:
        time.sleep(chance.uniform(0.0, 0.15))  # before, during or after the declare's commit
        crew.daphne.kill()
        time.sleep(chance.uniform(0.1, 1.0))
        crew.daphne.start()
    if "worker" in victims:
        time.sleep(chance.uniform(0.2, 4.0))  # while it paces, places or runs a step
        crew.worker.kill()
        time.sleep(chance.uniform(0.1, 2.0))
        crew.worker.start()
    sending.join()
    time.sleep(chance.uniform(0.5, 3.0))
    return declared


def _declare(api: httpx.Client, body: dict[str, Any], declared: Declared) -> None:
    """POST until answered 201, with one key: a killed daphne's request is sent again."""
    key = f"crash-{body['title']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        declared.tries += 1
        try:
            response = api.post("/api/incidents/", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            time.sleep(0.3)
            continue
        if response.status_code == 201:
            declared.replayed = response.headers.get("Idempotent-Replayed") == "true"
            return
        declared.refused[response.status_code] += 1
        if response.status_code not in (409, 502, 503):
            declared.error = f"{response.status_code}: {response.text[:200]}"
            return
        time.sleep(float(response.headers.get("Retry-After", "0.5")))
    declared.error = "not declared within 120 s"


def _settle(run: Scratch, phones: httpx.Client) -> dict[str, Any]:
    """The app's verdict once nothing is left to do (or after SETTLE_S)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        verdict = json_object(crash_data(run, "verdict"))
        calls = phones.get("/emulator/calls", params={"view": "summary"}).json()
        in_flight = sum(caller["inFlight"] for caller in calls["callers"].values())
        if (not any(verdict["stuck"].values()) and not in_flight) or time.monotonic() > deadline:
            return verdict
        time.sleep(3.0)  # each look starts Django: not too often on a small machine


def _outcome(
    database: str,
    crew: Crew,
    expected: dict[str, int],
    ledger: dict[str, Any],
    verdict: dict[str, Any],
    declares: list[Declared],
) -> Outcome:
    called = Counter(target for c in ledger["calls"] for target in c["targets"])
    beyond = sum(max(called[p] - n, 0) for p, n in expected.items())
    beyond += sum(n for p, n in called.items() if p not in expected)
    titles = verdict["titles"]
    for person, n in sorted(expected.items()):
        if called[person] != n:
            tried = verdict["attempts"].get(person, 0)
            print(f"  {person}: {called[person]} calls, {tried} attempts; the policy says {n}")
    return Outcome(
        database=database,
        rounds=len(declares),
        kills={"daphne": crew.daphne.kills, "worker": crew.worker.kills},
        people=len(expected),
        calls=sum(called.values()),
        beyond_policy=beyond,
        not_as_policy=sum(1 for p, n in expected.items() if called[p] != n),
        stuck=verdict["stuck"],
        declared_twice=sum(max(titles.get(d.title, 0) - 1, 0) for d in declares),
        retries=sum(d.tries - 1 for d in declares),
        replayed=sum(1 for d in declares if d.replayed),
        problems=[f"{d.title}: {d.error}" for d in declares if d.error]
        + [f"{d.title}: never declared" for d in declares if not titles.get(d.title)],
    )


if __name__ == "__main__":
    main()
