"""What the browser tests do on the incident page: sign in, declare, read the roster, act.

Delays given to the emulator are its milliseconds, scaled by the server's time scale (0.1).
"""

import re
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from playwright.sync_api import Browser, Locator, Page, expect

from calls.dialects import is_ga
from tests.live_server import PASSWORD, ROOT

ADA = ("Ada Lovelace", "+14255550101")
GRACE = ("Grace Hopper", "+14255550102")
ALAN = ("Alan Turing", "+14255550103")
MARGARET = ("Margaret Hamilton", "+14255550104")
# Real events travel daphne -> emulator -> callback -> channel layer -> WebSocket: allow slack.
EVENT_TIMEOUT_MS = 15_000
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def speaks_ga() -> bool:
    """Whether the app under test speaks GA: its servers take ACS_API_VERSION from this
    environment (tests/conftest.py pins the preview only in unit tests)."""
    return is_ga(settings.ACS_API_VERSION)


def script(emulator: httpx.Client, number: str, **behaviour: object) -> None:
    emulator.put(f"/behaviours/{quote(number, safe='')}", json=behaviour).raise_for_status()


def hang_up_in_emulator(emulator: httpx.Client, number: str) -> None:
    """Act for the person at `number`: they put the phone down on the live call."""
    calls = emulator.get("/calls").json()["calls"]
    matches = [
        (call["callLegId"], person["participantId"])
        for call in calls
        for person in call["participants"]
        if person["rawId"] == f"4:{number}"
    ]
    assert matches, f"{number} is on no emulated call: {calls}"
    call_leg_id, participant_id = matches[-1]
    emulator.post(f"/calls/{call_leg_id}/participants/{participant_id}/hangup").raise_for_status()


def sign_in(browser: Browser, base_url: str, username: str, **context: object) -> Page:
    page = browser.new_context(base_url=base_url, **context).new_page()  # type: ignore[arg-type]
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def declare(
    page: Page, title: str, *, group: str = "", contacts: tuple[str, ...] = (), mode: str = ""
) -> str:
    """Declare through the form; returns the incident page's URL."""
    page.goto("/incidents/declare/")
    page.get_by_label("Title").fill(title)
    if group:
        page.locator("#field-groups").get_by_label(group).check()
    for name in contacts:
        page.locator("#field-contacts").get_by_label(name).check()
    if mode:
        page.get_by_label("Mode").select_option(label=mode)
    page.get_by_role("button", name="Declare and call").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+/$"))
    expect(page.locator("#live-indicator")).to_have_text("Live")
    return page.url


def call_section(page: Page, number: int = 0) -> Locator:
    """The incident's calls in the order they were placed; `number` counts from 0."""
    return page.locator("section.call").nth(number)


def row(scope: Page | Locator, name: str) -> Locator:
    return scope.locator("tbody[data-roster] tr[data-participant-id]").filter(has_text=name)


def expect_state(scope: Page | Locator, name: str, state: str) -> None:
    expect(row(scope, name)).to_have_attribute("data-state", state, timeout=EVENT_TIMEOUT_MS)


def count(page: Page, key: str) -> Locator:
    return page.locator(f'#counts [data-count="{key}"] .n')


def visible_buttons(scope: Locator) -> list[str]:
    # One read of the page as it is: listing the buttons and then reading each one raced the
    # re-render (a button gone between the two made Playwright wait 30 s for it).
    return sorted(scope.get_by_role("button").filter(visible=True).all_inner_texts())


def expect_buttons(scope: Locator, names: list[str]) -> None:
    """Exactly these buttons are visible in `scope`, soon: flags arrive over the WebSocket a
    moment after the state they follow, so this polls like Playwright's own `expect`."""
    deadline = time.monotonic() + EVENT_TIMEOUT_MS / 1000
    while (shown := visible_buttons(scope)) != sorted(names):
        assert time.monotonic() < deadline, f"buttons {shown}, expected {sorted(names)}"
        time.sleep(0.1)


def timeline(page: Page) -> Locator:
    return page.locator("#timeline li")


def confirm(page: Page, *, with_keyboard: bool = False) -> None:
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    if with_keyboard:
        expect(dialog.get_by_role("button", name="Go back")).to_be_focused()
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
    else:
        dialog.locator("#confirm-ok").click()
    expect(dialog).to_be_hidden()


def mark_no_reload(page: Page) -> None:
    """Tag the document: a reload or navigation loses the tag, which the end of the test checks."""
    page.evaluate("window.__sameDocument = true")


def expect_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded or navigated"


def screenshot(page: Page, name: str) -> Path:
    """Saved for reviewers under the gitignored artifacts/ folder, transitions (the progress
    bar's) run to their end."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
