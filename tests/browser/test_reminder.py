"""A reminder made from the dashboard, on the real engine: the admin fills the form, previews
who is called when, schedules it a few seconds ahead; the worker fires it then, the emulator's
person presses 1, and the reminder page (reloading while it is live) shows them confirmed.
Screenshots land in artifacts/screenshots/ (gitignored)."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.pages import screenshot, script, sign_in
from tests.browser.test_callout import redis_url, worker  # noqa: F401 (fixtures)
from tests.live_server import LiveServer, serve

CONFIRMING = "+14255550401"
CALL_BACK = "+14255550402"
# Seconds between saving and its start: time to reach the page and see it "Scheduled".
AHEAD_SECONDS = 12
FIRED_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[LiveServer]:  # noqa: F811
    with serve(
        tmp_path_factory.mktemp("reminder-server"), REDIS_URL=redis_url, PYTHONUNBUFFERED="1"
    ) as live:
        yield live


@pytest.fixture(scope="module")
def live_server_url(server: LiveServer) -> str:
    return server.url


def test_a_reminder_from_the_dashboard_fires_and_its_confirmation_arrives(
    browser: Browser,
    server: LiveServer,
    worker: Path,  # noqa: F811
    emulator: httpx.Client,
) -> None:
    press = {"outcome": "answer", "answerAfterMs": 2000, "tonesAfter": "message"}
    script(emulator, CONFIRMING, **press, tones="1", tonesAfterMs=10_000)
    script(emulator, CALL_BACK, **press, tones="3", tonesAfterMs=10_000)
    admin = sign_in(browser, server.url, "admin", viewport={"width": 1280, "height": 1400})
    admin.goto("/")
    admin.get_by_role("link", name="Reminders").click()
    admin.get_by_role("link", name="New reminder").click()
    admin.get_by_label("Name").fill("Dentist tomorrow")
    admin.get_by_label("Numbers").fill(f"{CONFIRMING}\n{CALL_BACK}")
    admin.get_by_label("Or type the message").fill(
        "Your appointment is tomorrow at ten. Press 1 to confirm, 2 to cancel, 3 to be called "
        "back later."
    )
    admin.get_by_label("Time zone").fill("UTC")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=AHEAD_SECONDS)
    admin.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M:%S"))
    admin.get_by_role("button", name="Preview").click()
    preview = admin.locator("#preview")
    expect(preview).to_contain_text(CONFIRMING)
    expect(preview).to_contain_text(start.strftime("%Y-%m-%d %H:%M"))
    screenshot(admin, "reminder-preview")
    admin.get_by_role("button", name="Schedule").click()
    expect(admin).to_have_url(re.compile(r"/reminders/\d+/$"))
    expect(admin.locator("#reminder-state")).to_have_text("Scheduled")
    screenshot(admin, "reminder-scheduled")

    confirmed = admin.locator(f'tr[data-identifier="{CONFIRMING}"]')
    expect(confirmed).to_have_attribute("data-answer", "confirmed", timeout=FIRED_TIMEOUT_MS)
    called_back = admin.locator(f'tr[data-identifier="{CALL_BACK}"]')
    expect(called_back).to_have_attribute("data-answer", "call_back", timeout=FIRED_TIMEOUT_MS)
    expect(admin.locator('[data-count="confirmed"]')).to_have_text("1")
    screenshot(admin, "reminder-confirmed")
    # It fired at its time, not before.
    calls = emulator.get("/calls").json()["calls"]
    first = min(datetime.fromisoformat(c["createdAt"]) for c in calls if CONFIRMING in c["targets"])
    assert first >= start - timedelta(seconds=1)
