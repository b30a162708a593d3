"""The live incident page in a real browser, against daphne and the in-process ACS emulator.

An operator declares an incident through the form and watches simulated people ring, join, leave,
get invited and get removed, without reloading; a viewer watches the same page without controls.
Delays in the behaviours below are emulator milliseconds, scaled by the server's time scale.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS
from tests.live_server import PASSWORD

ADA = ("Ada Lovelace", "+14255550101")
GRACE = ("Grace Hopper", "+14255550102")
ALAN = ("Alan Turing", "+14255550103")
MARGARET = ("Margaret Hamilton", "+14255550104")
# Real events travel daphne -> emulator -> callback -> channel layer -> WebSocket: allow slack.
EVENT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def emulator(live_server_url: str) -> Iterator[httpx.Client]:
    """The emulator's control API, reset before and after the test."""
    with httpx.Client(base_url=live_server_url + "/acs-emulator/emulator", timeout=10) as client:
        client.post("/reset").raise_for_status()
        yield client
        client.post("/reset").raise_for_status()


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


def sign_in(browser: Browser, base_url: str, username: str) -> Page:
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    return page


def row(page: Page, name: str) -> Locator:
    return page.locator("tbody[data-roster] tr[data-participant-id]").filter(has_text=name)


def expect_state(page: Page, name: str, state: str) -> None:
    expect(row(page, name)).to_have_attribute("data-state", state, timeout=EVENT_TIMEOUT_MS)


def expect_action_succeeded(page: Page) -> None:
    message = page.locator("#action-message")
    expect(message).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    expect(message).not_to_have_text("Working…", timeout=EVENT_TIMEOUT_MS)
    expect(message).not_to_have_class(re.compile(r"\berror\b"))


def mark_no_reload(page: Page) -> None:
    """Tag the document: a reload or navigation loses the tag, which the end of the test checks."""
    page.evaluate("window.__sameDocument = true")


def expect_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded or navigated"


def test_operator_and_viewer_follow_the_call_live(
    browser: Browser, live_server_url: str, emulator: httpx.Client
) -> None:
    script(emulator, ADA[1], outcome="answer", answerAfterMs=10_000)
    # Slow enough (2 s real) to be seen ringing first; under the 30 s ring timeout.
    script(emulator, GRACE[1], outcome="answer", answerAfterMs=20_000)
    script(emulator, ALAN[1], outcome="no-answer")
    script(emulator, MARGARET[1], outcome="answer", answerAfterMs=5_000)

    operator = sign_in(browser, live_server_url, "operator")
    operator.goto("/incidents/declare/")
    operator.get_by_label("Title").fill("Checkout is down")
    operator.get_by_label("Description").fill("Payments fail with 502s.")
    operator.locator("#field-groups").get_by_label("On-call engineers").check()
    operator.get_by_role("button", name="Declare and call").click()
    expect(operator).to_have_url(re.compile(r"/incidents/\d+/$"))
    incident_url = operator.url
    mark_no_reload(operator)
    expect(row(operator, GRACE[0])).to_have_attribute("data-state", "ringing")
    expect(operator.locator("#live-indicator")).to_have_text("Live")

    viewer = sign_in(browser, live_server_url, "viewer")
    viewer.goto(incident_url)
    mark_no_reload(viewer)
    expect(viewer.locator("#live-indicator")).to_have_text("Live")
    pages = (operator, viewer)

    # Everyone in the group is rung; Alan never picks up.
    for page in pages:
        expect(row(page, ALAN[0])).to_have_attribute("data-state", "ringing")
    for page in pages:
        for name in (ADA[0], GRACE[0]):
            expect_state(page, name, "joined")
        expect(row(page, ALAN[0])).not_to_have_attribute("data-state", "joined")
    expect(row(operator, ADA[0]).get_by_role("button", name="Remove")).to_be_visible()

    # Ada puts the phone down.
    hang_up_in_emulator(emulator, ADA[1])
    for page in pages:
        expect_state(page, ADA[0], "left")
    expect(row(operator, ADA[0]).get_by_role("button", name="Remove")).to_have_count(0)

    # The operator invites Margaret mid-call.
    operator.get_by_text("Invite more people").click()
    invite = operator.locator("form[data-invite-form]")
    invite.get_by_role("group", name="Contacts").get_by_label(MARGARET[0]).check()
    invite.get_by_role("button", name="Invite").click()
    expect_action_succeeded(operator)
    for page in pages:
        expect_state(page, MARGARET[0], "joined")

    # The operator removes Grace.
    row(operator, GRACE[0]).get_by_role("button", name="Remove").click()
    expect_action_succeeded(operator)
    for page in pages:
        expect_state(page, GRACE[0], "removed")
    expect(row(operator, GRACE[0]).get_by_role("button", name="Remove")).to_have_count(0)
    expect(row(operator, MARGARET[0]).get_by_role("button", name="Remove")).to_be_visible()

    # Alan's phone rang past the ring timeout: he counts as not answering.
    for page in pages:
        expect_state(page, ALAN[0], "failed")

    # The viewer saw it all but can steer nothing.
    expect(viewer.locator("section.call").get_by_role("button")).to_have_count(0)
    for label in ("Remove", "Hang up", "Invite", "Resolve incident"):
        expect(viewer.get_by_role("button", name=label)).to_have_count(0)
    expect(viewer.get_by_text("Invite more people")).to_have_count(0)
    expect(viewer.locator("form.js-action")).to_have_count(0)

    for page in pages:
        expect_same_document(page)
        page.context.close()
