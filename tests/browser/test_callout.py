"""A call-out on the real engine, watched in a real browser: the operator declares a broadcast
from the form, the progress bar moves live to "Finished" with the right counts, and a second
call-out is stopped with Stop while its calls ring, which hangs them up in the emulator.

Three processes, as `make run` and a scaled set-up run them: daphne (tests/live_server.py, the
ACS emulator embedded in it, applying the callbacks), one `manage.py run_worker` beside it
(pacing and dialling) and a Redis of their own, which carries the worker's broadcasts to the
dashboards on daphne. The simulated people are scripted per number through the emulator's
control API. Screenshots land in artifacts/screenshots/ (gitignored).
"""

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.pages import EVENT_TIMEOUT_MS, confirm, screenshot, script, sign_in
from tests.live_server import ROOT, LiveServer, serve

REDIS_SERVER = shutil.which("redis-server")
# The emulator's people at 0.4 of their speed: everyone answers in 0.8 s and a phone rings out
# after 12 s there; the app gives up on a ringing phone after 10 s (checked every second).
TIME_SCALE = "0.4"
RING_TIMEOUT_SECONDS = 10
WORKER_STOP_TIMEOUT_S = 20
POLICY = "One try, no retry"
WARDENS = "Floor wardens"  # the first call-out: it runs to its end
NIGHT_SHIFT = "Night shift"  # the second: stopped while their phones ring
ACKNOWLEDGING = [(f"Warden {n}", f"+1425555020{n}") for n in range(1, 5)]
DECLINING = ("Warden 5 (cannot help)", "+14255550205")
SILENT = ("Warden 6 (never answers)", "+14255550206")
# Answers and never presses (an answering machine): hung up after the policy's answer window.
MACHINE = ("Warden 7 (answering machine)", "+14255550207")
ANSWER_WINDOW_SECONDS = 10
WARDENS_COUNT = 7
# The pool is 3 numbers x 2 calls at once (seed_demo): 6 ring, the rest wait for a free line.
BUSY = ("Night 01 (busy)", "+14255550301")
RINGING = [(f"Night {n:02} (never answers)", f"+142555503{n:02}") for n in range(2, 14)]
SLOTS = 6
PREPARE = f"""
from callouts.models import CalloutPolicy
from callouts.services.presets import save_policy
from contacts.models import Contact, ContactGroup
save_policy(policy=CalloutPolicy(
    name={POLICY!r}, max_attempts=1, retry_wait_seconds=0,
    answer_window_seconds={ANSWER_WINDOW_SECONDS},
))
groups = {{
    {WARDENS!r}: {[*ACKNOWLEDGING, DECLINING, SILENT, MACHINE]!r},
    {NIGHT_SHIFT!r}: {[BUSY, *RINGING]!r},
}}
for name, people in groups.items():
    group = ContactGroup.objects.create(name=name)
    group.members.add(
        *(Contact.objects.create(name=person, phone_number=number) for person, number in people)
    )
"""


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is missing (`.ci/run` installs it)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    redis = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        redis.terminate()
        redis.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[LiveServer]:
    with serve(
        tmp_path_factory.mktemp("callout-server"),
        REDIS_URL=redis_url,
        ACS_EMULATOR_TIME_SCALE=TIME_SCALE,
        RING_TIMEOUT_SECONDS=str(RING_TIMEOUT_SECONDS),
        PYTHONUNBUFFERED="1",
    ) as live:
        live.manage("shell", "--no-imports", "-c", PREPARE)
        yield live


@pytest.fixture(scope="module")
def worker(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`manage.py run_worker` on the server's database and Redis; its log's path. Stopped with
    SIGTERM as `make run` stops it, which must end it cleanly (else it is killed, and fails)."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "run_worker"],
            cwd=ROOT,
            env=server.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "Worker running tasks" not in log.read_text():
            assert process.poll() is None, f"run_worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"run_worker did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"run_worker ignored SIGTERM for {WORKER_STOP_TIMEOUT_S} s; killed.")
    assert code == 0 and "Worker stopped." in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def live_server_url(server: LiveServer) -> str:
    """This module's server, for conftest's `emulator` (reset before and after each test)."""
    return server.url


def declare_broadcast(page: Page, title: str, group: str) -> None:
    """From the dashboard, through the declare form: a broadcast to `group` by POLICY."""
    page.goto("/")
    page.get_by_role("link", name="Declare an incident").click()
    page.get_by_label("Title").fill(title)
    page.locator("#field-groups").get_by_label(group).check()
    page.get_by_label("Mode").select_option(label="Broadcast (one call per person)")
    page.get_by_label("Policy:", exact=True).select_option(label=POLICY)
    page.get_by_role("button", name="Declare and call").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+/$"))
    expect(page.locator("#live-indicator")).to_have_text("Live")


def legend(page: Page) -> dict[str, int]:
    counts = page.locator("#callout-counts [data-status]")
    return {
        li.get_attribute("data-status") or "": int(li.locator(".n").inner_text())
        for li in counts.all()
    }


def recipient_row(page: Page, name: str) -> Locator:
    return page.locator("#recipient-rows tr").filter(has_text=name)


def attempts_cell(page: Page, name: str) -> Locator:
    return recipient_row(page, name).locator('td[data-label="Attempts"]')


def ledger(emulator: httpx.Client, people: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The emulator's calls to `people`, oldest first."""
    numbers = {number for _, number in people}
    calls: list[dict[str, Any]] = emulator.get("/calls").json()["calls"]
    return [call for call in calls if set(call["targets"]) & numbers]


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def test_the_progress_bar_moves_live_to_finished_with_the_right_counts(
    browser: Browser, server: LiveServer, worker: Path, emulator: httpx.Client
) -> None:
    # 2.4 s after answering (at this time scale): on GA the app hears keys only once it has
    # asked the provider to listen for that person, a moment after they joined.
    for _, number in ACKNOWLEDGING:
        script(emulator, number, tones="1", tonesAfterMs=6000)
    script(emulator, DECLINING[1], tones="2", tonesAfterMs=6000)
    script(emulator, SILENT[1], outcome="no-answer")
    script(emulator, MACHINE[1], outcome="answer")  # and stays on, silent
    operator = sign_in(browser, server.url, "operator", viewport={"width": 1280, "height": 900})
    declare_broadcast(operator, "Fire alarm in building A", WARDENS)
    bar = operator.locator("#callout-bar")
    expect(operator.locator("#callout-state")).to_have_text("Running")
    expect(bar).to_have_attribute("aria-valuemax", str(WARDENS_COUNT))
    expect(operator.locator("#recipient-rows tr")).to_have_count(WARDENS_COUNT)

    # The worker dials six at once (6 lines), the seventh once a line frees: the bar moves as
    # they answer by key.
    acknowledged = operator.locator('#callout-counts [data-status="acknowledged"] .n')
    expect(acknowledged).to_have_text("4", timeout=EVENT_TIMEOUT_MS)
    expect(attempts_cell(operator, "Warden 1")).to_contain_text("keys 1")
    expect(attempts_cell(operator, DECLINING[0])).to_contain_text("keys 2")
    expect(recipient_row(operator, DECLINING[0])).to_have_attribute("data-status", "declined")
    # The one who never answers is still being called, until their phone rings out.
    expect(recipient_row(operator, SILENT[0])).to_have_attribute("data-status", "dialling")
    expect(attempts_cell(operator, SILENT[0])).to_contain_text("Calling…", timeout=EVENT_TIMEOUT_MS)
    expect(operator.locator("#callout-done")).to_have_text("5 of 7 done (71%).")
    expect(operator.locator("#callout-eta")).to_contain_text("Everyone tried by")
    screenshot(operator, "callout-real-running")

    timeout = (RING_TIMEOUT_SECONDS + ANSWER_WINDOW_SECONDS + 10) * 1000
    expect(operator.locator("#callout-state")).to_have_text("Finished", timeout=timeout)
    expect(operator.locator("#callout-done")).to_have_text("7 of 7 done (100%).")
    expect(bar).to_have_attribute("aria-valuenow", "7")
    expect(bar).to_have_attribute(
        "aria-valuetext", "7 of 7 done (100%): 4 acknowledged, 1 cannot help, 2 not reached."
    )
    assert {s: n for s, n in legend(operator).items() if n} == {
        "acknowledged": 4,
        "declined": 1,
        "not_reached": 2,
    }
    expect(operator.locator("#callout-eta")).to_have_text(
        "Finished: everyone was tried as the policy says."
    )
    expect(recipient_row(operator, SILENT[0])).to_have_attribute("data-status", "not_reached")
    expect(attempts_cell(operator, SILENT[0])).to_contain_text("No answer")
    expect(recipient_row(operator, MACHINE[0])).to_have_attribute("data-status", "not_reached")
    expect(attempts_cell(operator, MACHINE[0])).to_contain_text("Answered, no key")
    expect(operator.get_by_role("button", name="Stop call-out")).to_be_hidden()
    # The attempts' calls are not cards of their own, nor can anyone be rung again now.
    expect(operator.locator("section.call")).to_have_count(0)
    expect(operator.locator("#recipients").get_by_role("button")).to_have_text(["Apply"])
    screenshot(operator, "callout-real-finished")
    operator.context.close()

    # One call each, every one over (the machine's hung up by the app after its window); the
    # silent one never connected.
    wardens = [*ACKNOWLEDGING, DECLINING, SILENT, MACHINE]
    calls = ledger(emulator, wardens)
    assert sorted(n for c in calls for n in c["targets"]) == sorted(n for _, n in wardens)
    assert all(call["endedAt"] for call in calls)
    tones = {c["targets"][0]: c["participants"][-1]["tonesPressed"] for c in calls}
    assert tones == {
        **{n: "1" for _, n in ACKNOWLEDGING},
        DECLINING[1]: "2",
        SILENT[1]: "",
        MACHINE[1]: "",
    }
    assert [c["connectedAt"] for c in calls if c["targets"] == [SILENT[1]]] == [None]
    (machine,) = (c for c in calls if c["targets"] == [MACHINE[1]])
    assert seconds_between(machine["connectedAt"], machine["endedAt"]) >= ANSWER_WINDOW_SECONDS


def test_stop_hangs_up_the_ringing_calls_and_calls_nobody_else_on_a_phone(
    browser: Browser, server: LiveServer, worker: Path, emulator: httpx.Client
) -> None:
    script(emulator, BUSY[1], outcome="busy")
    for _, number in RINGING:
        script(emulator, number, outcome="no-answer")
    phone = sign_in(
        browser,
        server.url,
        "operator",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    declare_broadcast(phone, "Flood in the basement", NIGHT_SHIFT)
    people = len(RINGING) + 1
    # The busy line frees its slot at once: six phones ring, the rest wait for a line.
    busy = recipient_row(phone, BUSY[0])
    expect(busy).to_have_attribute("data-status", "not_reached", timeout=EVENT_TIMEOUT_MS)
    expect(phone.locator('#callout-counts [data-status="dialling"] .n')).to_have_text(
        str(SLOTS), timeout=EVENT_TIMEOUT_MS
    )
    expect(phone.locator('#callout-counts [data-status="pending"] .n')).to_have_text(
        str(people - 1 - SLOTS)
    )
    # Someone not reached is rung again: said beside the table; they wait for a free line.
    busy.get_by_role("button", name=f"Ring {BUSY[0]} again").click()
    expect(phone.locator("#recipients [data-message]")).to_have_text(
        f"Ringing {BUSY[0]} again.", timeout=EVENT_TIMEOUT_MS
    )
    expect(busy).to_have_attribute("data-status", "pending", timeout=EVENT_TIMEOUT_MS)

    stop = phone.get_by_role("button", name="Stop call-out")
    stop.click()
    expect(phone.get_by_role("dialog")).to_contain_text("Stop this call-out?")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "callout-real-phone-confirm-stop")
    phone.keyboard.press("Escape")  # going back changes nothing
    expect(phone.locator("#callout-state")).to_have_text("Running")
    stop.click()
    confirm(phone)
    stopped_at = time.monotonic()
    expect(phone.locator("#callout-state")).to_have_text("Stopped", timeout=EVENT_TIMEOUT_MS)
    expect(phone.locator("#callout-eta")).to_have_text(
        "Stopped by an operator. Nobody else is called."
    )
    expect(stop).to_be_hidden()
    expect(phone.locator("#callout [data-message]")).to_have_text("Call-out stopped.")
    # Everyone is stopped: those ringing (hung up), those waiting and the one rung again.
    stopped = phone.locator('#callout-counts [data-status="stopped"] .n')
    expect(stopped).to_have_text(str(people), timeout=EVENT_TIMEOUT_MS)
    expect(phone.locator("#callout-done")).to_have_text(f"{people} of {people} done (100%).")
    expect(attempts_cell(phone, RINGING[0][0])).to_contain_text("Cancelled (call-out stopped)")
    expect(phone.locator("#recipients").get_by_role("button")).to_have_text(["Apply"])
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "callout-real-phone-stopped")
    phone.context.close()

    # In the emulator: the ringing calls were hung up by the app (their people "left" a call
    # that never connected, before any ring timeout), and nobody else was called, even later.
    time.sleep(max(0.0, 1.5 - (time.monotonic() - stopped_at)))  # a late dial would show by now
    calls = ledger(emulator, [BUSY, *RINGING])
    assert len(calls) == 1 + SLOTS, json.dumps(calls, indent=1)
    assert [c["targets"] for c in calls].count([BUSY[1]]) == 1
    hung_up = [c for c in calls if c["targets"] != [BUSY[1]]]
    assert len(hung_up) == SLOTS
    for call in hung_up:
        assert call["endedAt"] and call["connectedAt"] is None
        assert call["participants"][-1]["state"] == "left"
        assert seconds_between(call["createdAt"], call["endedAt"]) < RING_TIMEOUT_SECONDS
