"""Serve the app on daphne for one benchmark run: a throw-away database, pinned to one core.

The server gets production-like settings (DEBUG off, a random SECRET_KEY) and a dummy ACS
connection string, so the embedded emulator is not mounted and nothing dials out.
"""

import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER_CORE = 0
LOAD_CORE = 1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Lines in the server's stderr that mean a request went wrong.
_PROBLEM_MARKS = ("database is locked", "Traceback", " ERROR ", "ChannelFull", "over capacity")


@dataclass(frozen=True)
class Fixture:
    """What bench.data prepared: one incident with an established call."""

    incident_id: int
    call_id: int
    secret: str
    session_cookie: str


@dataclass(frozen=True)
class Server:
    database: str  # "sqlite" or "postgres"
    port: int
    pid: int
    fixture: Fixture
    env: dict[str, str]
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def callback_url(self) -> str:
        return f"{self.base_url}/calls/{self.fixture.call_id}/events/{self.fixture.secret}/"

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def pending_events(self) -> int:
        return int(django_data(self.env, "pending").strip())

    def stored_events(self) -> int:
        output = django_data(self.env, "count", str(self.fixture.call_id))
        return int(output.strip())

    def problems(self) -> list[str]:
        return problems(self.stderr_path)


def problems(log: Path) -> list[str]:
    """The lines of a process's stderr that mean something went wrong."""
    text = log.read_text(errors="replace")
    return [line for line in text.splitlines() if any(m in line for m in _PROBLEM_MARKS)]


def print_problems(name: str, log: Path) -> None:
    """How many problem lines `name`'s stderr has, and the first five."""
    found = problems(log)
    if found:
        print(f"  {name} log problems: {len(found)}")
        for line in found[:5]:
            print(f"    {line}")


def databases_to_run(requested: str) -> list[str]:
    """`auto` is SQLite, plus PostgreSQL when TEST_POSTGRES_URL names a server."""
    if requested == "auto":
        return ["sqlite", "postgres"] if os.environ.get("TEST_POSTGRES_URL") else ["sqlite"]
    return [requested]


@dataclass(frozen=True)
class Scratch:
    """A migrated throw-away database and the environment every process of one run shares."""

    database: str
    port: int  # where daphne serves (also the app's PUBLIC_BASE_URL)
    env: dict[str, str]
    tmp: Path


@contextmanager
def scratch(database: str, **settings: str) -> Iterator[Scratch]:
    """A temporary directory and database, migrated; `settings` are extra environment variables
    for every process of the run. Both are removed on exit."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, _database_url(database, tmp) as db:
        port = free_port()
        env = _server_env(Path(tmp), port, db)
        env.update(settings)
        manage(env, "migrate", "--noinput", "-v", "0")
        yield Scratch(database, port, env, Path(tmp))


@dataclass(frozen=True)
class Process:
    pid: int
    stderr_path: Path


@contextmanager
def serving(run: Scratch, application: str = "config.asgi:application") -> Iterator[Process]:
    """daphne on SERVER_CORE serving `application`, answering /healthz, until exit."""
    with running(
        run,
        "daphne",
        SERVER_CORE,
        [str(Path(sys.executable).with_name("daphne"))]
        + ["-b", "127.0.0.1", "-p", str(run.port), application],
    ) as (process, stderr_path):
        _wait_until_healthy(run.port, process)
        yield Process(process.pid, stderr_path)


@contextmanager
def working(run: Scratch, core: int) -> Iterator[Process]:
    """One `manage.py run_worker` on `core`, once it has said it runs (it takes seconds to
    start on a busy machine), until exit."""
    command = [sys.executable, "-u", "manage.py", "run_worker"]
    with running(run, "worker", core, command) as (process, stderr_path):
        _wait_until_said(process, stderr_path.with_suffix(".stdout"))
        yield Process(process.pid, stderr_path)


def wait_for_emulator(phones: httpx.Client) -> None:
    """Return once the standalone emulator's control API answers (within 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if phones.get("/emulator/behaviours").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the emulator did not answer within 30 s.")
        time.sleep(0.2)


def script_people(
    phones: httpx.Client,
    numbers: list[str],
    no_answer: float,
    seed: int,
    *,
    tones_after: str | None = None,
) -> None:
    """Tell the emulator how each of `numbers` behaves: most answer within 1-3 s (simulated),
    press 1 2-5 s later (from the answer, or from `tones_after`: "message", its start) and stay
    on until the app hangs up; `no_answer` of them let it ring. The same people for the same
    seed."""
    chance = random.Random(seed)  # noqa: S311 - repeatable, not secret
    for number in numbers:
        if chance.random() < no_answer:
            behaviour: dict[str, object] = {"outcome": "no-answer"}
        else:
            behaviour = {
                "outcome": "answer",
                "answerAfterMs": chance.randint(1000, 3000),
                "tones": "1",
                "tonesAfterMs": chance.randint(2000, 5000),
            }
            if tones_after is not None:
                behaviour["tonesAfter"] = tones_after
        phones.put(f"/emulator/behaviours/{number}", json=behaviour).raise_for_status()


def declare(api: httpx.Client, numbers: list[str], mode: str = "broadcast") -> tuple[float, int]:
    """POST an incident calling `numbers` (a call-out; or one bridge call) through the API;
    the seconds to its 201, and its id."""
    body = {"title": f"Calling {len(numbers)}", "mode": mode, "targets": numbers}
    sent = time.perf_counter()
    response = api.post("/api/incidents/", json=body)
    seconds = time.perf_counter() - sent
    if response.status_code != 201:
        raise SystemExit(f"declare answered {response.status_code}: {response.text[:500]}")
    return seconds, int(response.json()["id"])


def _wait_until_said(process: "subprocess.Popen[bytes]", stdout_path: Path) -> None:
    deadline = time.monotonic() + 60
    while not stdout_path.read_bytes():
        if process.poll() is not None:
            raise SystemExit(f"run_worker exited with {process.returncode} before starting.")
        if time.monotonic() > deadline:
            raise SystemExit("run_worker said nothing within 60 s.")
        time.sleep(0.1)


@contextmanager
def serve(
    database: str, *, worker: bool = False, application: str = "config.asgi:application"
) -> Iterator[Server]:
    """Migrate a fresh database, prepare the fixture, and run daphne on SERVER_CORE.

    `application` is the ASGI application daphne serves (bench.fanout adds its floor relay).

    With `worker`, daphne only stores callbacks (APPLY_IN_WORKER) and a `manage.py run_worker`
    on LOAD_CORE applies them; that needs TEST_REDIS_URL for the channel layer.
    """
    settings = {"APPLY_IN_WORKER": "true", "REDIS_URL": redis_url()} if worker else {}
    with scratch(database, **settings) as run:
        fixture = Fixture(**json.loads(django_data(run.env, "prepare")))
        with serving(run, application) as web, ExitStack() as applier:
            if worker:
                applier.enter_context(working(run, LOAD_CORE))
            yield Server(database, run.port, web.pid, fixture, run.env, web.stderr_path)


@contextmanager
def running(
    run: Scratch, name: str, core: int, command: list[str]
) -> Iterator[tuple["subprocess.Popen[bytes]", Path]]:
    """`command` on `core` with the run's environment, its stderr and stdout (but daphne's
    access log) in the run's directory as `name`.stderr and .stdout; terminated on exit (killed
    if it does not stop within 10 s)."""
    stderr_path = run.tmp / f"{name}.stderr"
    with stderr_path.open("ab") as stderr, stderr_path.with_suffix(".stdout").open("ab") as stdout:
        process = subprocess.Popen(
            ["taskset", "-c", str(core), *command],
            cwd=ROOT,
            env=run.env,
            stdout=subprocess.DEVNULL if name == "daphne" else stdout,  # not its access log
            stderr=stderr,
        )
    try:
        yield process, stderr_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _server_env(tmp: Path, port: int, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        SQLITE_PATH=str(tmp / "db.sqlite3"),
        MEDIA_ROOT=str(tmp / "media"),
        ACS_CONNECTION_STRING="endpoint=http://127.0.0.1:9/;accesskey=cHc=",
        # The ingest and fan-out loads post the preview's unsigned callbacks (bench.envelopes).
        ACS_API_VERSION="2021-04-15-preview1",
        PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@contextmanager
def _database_url(database: str, tmp: str) -> Iterator[str]:
    """ "" for SQLite (the file lives in `tmp`); for PostgreSQL a database made for this run."""
    if database == "sqlite":
        yield ""
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL", "")
    if database != "postgres" or not admin_url:
        raise SystemExit(f"Unknown database {database!r} (postgres needs TEST_POSTGRES_URL).")
    with scratch_postgres(admin_url, prefix="bench") as url:
        yield url


@contextmanager
def scratch_postgres(admin_url: str, *, prefix: str) -> Iterator[str]:
    """The URL of a new database on `admin_url`'s server, dropped (even if in use) on exit.
    Shared by the benchmarks and the scale-out tests."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def manage(env: dict[str, str], *args: str) -> str:
    return _run([sys.executable, "manage.py", *args], env)


def django_data(env: dict[str, str], *args: str) -> str:
    return _run([sys.executable, "-m", "bench.data", *args], env)


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return result.stdout


def redis_url() -> str:
    """TEST_REDIS_URL, for a run whose processes reach the dashboards through Redis."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        raise SystemExit("This run needs TEST_REDIS_URL (the Redis channel layer).")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(port: int, process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited with {process.returncode} before serving.")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("daphne did not answer /healthz within 30 s.")


def pin_to_load_core() -> None:
    """Keep this (load-generating) process off the server's core."""
    os.sched_setaffinity(0, {LOAD_CORE})


def rss_mb(pid: int) -> float:
    """VmRSS (the resident set now) of `pid` alone, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def open_files(pid: int) -> list[str]:
    """What each of `pid`'s open file descriptors points at (a path, `socket:[...]`, ...)."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):  # closed while listed
            targets.append(os.readlink(fd))
    return targets


def peak_rss_mb(pid: int) -> float:
    """VmHWM (the peak resident set) of `pid` and its child processes, in MB."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status").read_text()
        total_kb += int(status.split("VmHWM:")[1].split()[0])
        for task in Path(f"/proc/{current}/task").iterdir():
            pending += [int(child) for child in (task / "children").read_text().split()]
    return total_kb / 1024
