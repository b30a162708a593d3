"""A call-out's incident page in a real browser: the progress bar moves live to completion,
Stop stops a running call-out (after asking), the recipient table pages and filters, and the
page fits a phone.

The dialling engine is not run here: tests/browser/callout_driver.py records what it would
(attempts, statuses, counts) in the server's database and broadcasts it, from another
process. So this server has a Redis of its own, which carries those broadcasts to daphne.
Screenshots land in artifacts/screenshots/ (gitignored).
"""

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.pages import EVENT_TIMEOUT_MS, confirm, declare, screenshot, sign_in
from tests.live_server import LiveServer, serve

REDIS_SERVER = shutil.which("redis-server")


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
    with serve(tmp_path_factory.mktemp("callout-server"), REDIS_URL=redis_url) as live:
        yield live


def drive(server: LiveServer, step: str) -> str:
    """Run `step` (a call of tests/browser/callout_driver.py) in the server's environment."""
    name = step.split("(")[0]
    code = f"from tests.browser.callout_driver import {name}; {step}"
    output = server.manage("shell", "--no-imports", "-c", code).strip()
    return output.splitlines()[-1] if output else ""


def legend(page: Page, status: str) -> str:
    return page.locator(f'#callout-counts [data-status="{status}"] .n').inner_text()


def expect_done(page: Page, text: str) -> None:
    expect(page.locator("#callout-done")).to_have_text(text, timeout=EVENT_TIMEOUT_MS)


def recipient_row(page: Page, name: str) -> Locator:
    return page.locator("#recipient-rows tr").filter(has_text=name)


def test_the_progress_bar_moves_to_completion_and_the_table_pages(
    browser: Browser, server: LiveServer
) -> None:
    incident_id = drive(server, "create('Evacuate building B', 120)")
    operator = sign_in(browser, server.url, "operator")
    operator.goto(f"/incidents/{incident_id}/")
    expect(operator.locator("#live-indicator")).to_have_text("Live")
    bar = operator.locator("#callout-bar")
    expect_done(operator, "0 of 120 done (0%).")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(operator.locator("#callout-state")).to_have_text("Running")
    expect(operator.locator("#callout-eta")).to_contain_text("Everyone tried by")
    expect(operator.locator("#recipient-rows tr")).to_have_count(50)
    expect(operator.locator("#recipients-count")).to_have_text(
        "120 people, in calling order; 1–50 shown."
    )

    drive(server, f"dial({incident_id}, 30)")
    first = recipient_row(operator, "Ada Lovelace 1")
    expect(first).to_have_attribute("data-status", "dialling", timeout=EVENT_TIMEOUT_MS)
    expect(first.locator('td[data-label="Attempts"]')).to_contain_text("1. Calling…")
    assert legend(operator, "dialling") == "30"
    drive(server, f"settle({incident_id}, 'acknowledged', 12)")
    drive(server, f"settle({incident_id}, 'declined_by_key', 5)")
    drive(server, f"settle({incident_id}, 'no_answer', 3)")
    expect_done(operator, "20 of 120 done (16%).")
    expect(bar).to_have_attribute("aria-valuenow", "20")
    expect(bar).to_have_attribute("aria-valuetext", re.compile(r"12 acknowledged, 5 cannot help"))
    expect(first).to_have_attribute("data-status", "acknowledged")
    expect(first.locator('td[data-label="Attempts"]')).to_contain_text("Acknowledged")
    expect(first.locator('td[data-label="Attempts"]')).to_contain_text("keys 1")
    assert [legend(operator, s) for s in ("acknowledged", "declined", "not_reached")] == [
        "12",
        "5",
        "3",
    ]
    # The attempts' calls are not cards of their own.
    expect(operator.locator("section.call")).to_have_count(0)
    # Someone not reached can be rung again; someone being called cannot.
    for name, status in (("Frances Hopper 17", "declined"), ("Ken Hopper 18", "not_reached")):
        expect(recipient_row(operator, name)).to_have_attribute("data-status", status)
    expect(recipient_row(operator, "Grace Lovelace 2").get_by_role("button")).to_have_text(
        "Ring again"
    )
    expect(recipient_row(operator, "Ken Turing 27").get_by_role("button")).to_have_count(0)
    operator.set_viewport_size({"width": 1280, "height": 900})
    screenshot(operator, "callout-desktop-running")

    drive(server, f"finish({incident_id})")
    expect_done(operator, "120 of 120 done (100%).")
    expect(bar).to_have_attribute("aria-valuenow", "120")
    expect(operator.locator("#callout-state")).to_have_text("Finished")
    expect(operator.locator("#callout-eta")).to_have_text(
        "Finished: everyone was tried as the policy says."
    )
    expect(operator.get_by_role("button", name="Stop call-out")).to_be_hidden()
    screenshot(operator, "callout-desktop-finished")

    # The table pages on the server, and filters by status.
    operator.locator("#recipient-pages").get_by_role("link", name="Next").click()
    expect(operator).to_have_url(re.compile(r"page=2"))
    expect(operator.locator("#recipients-count")).to_have_text(
        "120 people, in calling order; 51–100 shown."
    )
    expect(operator.locator("#recipient-rows tr").first).to_contain_text("51")
    operator.get_by_label("Show").select_option(label="Cannot help")
    operator.get_by_role("button", name="Apply").click()
    expect(operator.locator("#recipients-count")).to_have_text(
        "5 people (cannot help), in calling order; 1–5 shown."
    )
    expect(operator.locator("#recipient-rows tr")).to_have_count(5)
    operator.context.close()


def test_stop_asks_first_then_stops_a_running_call_out_on_a_phone(
    browser: Browser, server: LiveServer
) -> None:
    phone = sign_in(
        browser,
        server.url,
        "operator",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    broadcast = "Broadcast (one call per person)"
    url = declare(phone, "Gas leak on floor 3", group="On-call engineers", mode=broadcast)
    incident_id = re.findall(r"/incidents/(\d+)/", url)[0]
    expect_done(phone, "0 of 3 done (0%).")
    drive(server, f"dial({incident_id}, 2)")
    drive(server, f"settle({incident_id}, 'no_answer', 1)")
    expect_done(phone, "1 of 3 done (33%).")

    # Someone not reached is rung again: said beside the table, then their row moves on.
    ada = recipient_row(phone, "Ada Lovelace")
    expect(ada).to_have_attribute("data-status", "not_reached")
    ada.get_by_role("button", name="Ring Ada Lovelace again").click()
    expect(phone.locator("#recipients [data-message]")).to_have_text(
        re.compile(r"Ringing Ada Lovelace again\.|Ada Lovelace: "), timeout=EVENT_TIMEOUT_MS
    )
    expect(ada).not_to_have_attribute("data-status", "not_reached", timeout=EVENT_TIMEOUT_MS)

    stop = phone.get_by_role("button", name="Stop call-out")
    stop.click()
    expect(phone.get_by_role("dialog")).to_contain_text("Stop this call-out?")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "callout-phone-confirm-stop")
    phone.keyboard.press("Escape")  # going back changes nothing
    expect(phone.locator("#callout-state")).to_have_text("Running")
    stop.click()
    confirm(phone)
    expect(phone.locator("#callout-state")).to_have_text("Stopped", timeout=EVENT_TIMEOUT_MS)
    expect(phone.locator("#callout-eta")).to_have_text(
        "Stopped by an operator. Nobody else is called."
    )
    expect(stop).to_be_hidden()
    expect(phone.locator("#callout [data-message]")).to_have_text("Call-out stopped.")
    # Those still waiting are not called now: their rows say so once the page resyncs.
    expect(recipient_row(phone, "Grace Hopper")).to_have_attribute(
        "data-status", "stopped", timeout=EVENT_TIMEOUT_MS
    )
    expect(phone.locator('#callout-counts [data-status="stopped"] .n')).to_have_text("2")
    # Nor can anyone be rung again from a call-out that is over.
    expect(phone.locator("#recipients").get_by_role("button")).to_have_text(["Apply"])
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "callout-phone-stopped")
    phone.context.close()
