"""The live incident page in a real browser, against daphne and the in-process ACS emulator.

An operator declares an incident through the form and watches simulated people ring, join, leave,
get invited and get removed, without reloading; a viewer watches the same page without controls.
Delays in the behaviours below are emulator milliseconds, scaled by the server's time scale.
"""

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import (
    ADA,
    ALAN,
    EVENT_TIMEOUT_MS,
    GRACE,
    MARGARET,
    confirm,
    expect_same_document,
    expect_state,
    hang_up_in_emulator,
    mark_no_reload,
    row,
    script,
    sign_in,
)


def expect_action_succeeded(page: Page, selector: str = "section.call [data-message]") -> None:
    message = page.locator(selector).first
    expect(message).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    expect(message).not_to_have_text("Working…", timeout=EVENT_TIMEOUT_MS)
    expect(message).not_to_have_class(re.compile(r"\berror\b"))


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
    # Everyone in the group is rung; Alan never picks up (he rings out after 5 s).
    expect(row(operator, ALAN[0])).to_have_attribute("data-state", "ringing")
    expect(operator.locator("#live-indicator")).to_have_text("Live")

    viewer = sign_in(browser, live_server_url, "viewer")
    viewer.goto(incident_url)
    mark_no_reload(viewer)
    expect(viewer.locator("#live-indicator")).to_have_text("Live")
    pages = (operator, viewer)

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
    expect_action_succeeded(operator, "form[data-invite-form] [data-message]")
    for page in pages:
        expect_state(page, MARGARET[0], "joined")

    # The operator removes Grace.
    row(operator, GRACE[0]).get_by_role("button", name="Remove").click()
    confirm(operator)
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
