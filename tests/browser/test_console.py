"""The incident page as an operator's console, in a real browser against daphne and the emulator.

Controls appear only where they can work (from the server's flags), destructive actions ask
first, a hang-up can be followed by ringing people again, the summary counts move live, people
not reached are named with the reason, and the page fits a phone. Screenshots of the page land
in artifacts/screenshots/ (gitignored) for a reviewer to look at.
"""

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.pages import (
    ADA,
    ALAN,
    EVENT_TIMEOUT_MS,
    GRACE,
    call_section,
    confirm,
    count,
    declare,
    expect_buttons,
    expect_same_document,
    expect_state,
    mark_no_reload,
    row,
    screenshot,
    script,
    sign_in,
    speaks_ga,
    timeline,
)

LIVE_CONTROLS = ["Hang up", "Play"]


def expect_count(page: Page, key: str, value: int) -> None:
    expect(count(page, key)).to_have_text(str(value), timeout=EVENT_TIMEOUT_MS)


def no_sideways_scroll(page: Page) -> bool:
    # A mobile browser widens its layout viewport to fit content that overflows, so the width
    # must still be the phone's too.
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth && window.innerWidth === 390"
        )
    )


def test_controls_follow_the_state_and_hang_up_is_not_a_dead_end(
    browser: Browser, live_server_url: str, emulator: httpx.Client
) -> None:
    script(emulator, ADA[1], outcome="answer", answerAfterMs=3_000)
    script(emulator, GRACE[1], outcome="answer", answerAfterMs=3_000)
    script(emulator, ALAN[1], outcome="no-answer")

    operator = sign_in(browser, live_server_url, "operator")
    url = declare(operator, "Checkout is down", group="On-call engineers")
    mark_no_reload(operator)
    # Alan rings out only after the server's 5 s ring timeout.
    expect_count(operator, "joined", 2)
    expect_count(operator, "ringing", 1)
    screenshot(operator, "incident-desktop-live")
    viewer = sign_in(browser, live_server_url, "viewer")
    viewer.goto(url)
    expect(viewer.locator("#live-indicator")).to_have_text("Live")
    first = call_section(operator)

    # The summary: who declared it, how long ago (ticking), and counts that move live.
    expect(operator.locator(".summary")).to_contain_text("by operator")
    ago = operator.locator("#declared-ago")
    expect(ago).to_have_text(re.compile(r"\(\d+ s ago\)"))
    before = ago.inner_text()
    expect(ago).not_to_have_text(before, timeout=3_000)
    expect_count(viewer, "joined", 2)

    # Live call: no "Call again" or "Ring everyone again"; Remove for the people on it.
    expect_buttons(first.locator(".call-controls"), LIVE_CONTROLS + ["Stop audio"])
    expect(row(operator, ADA[0]).get_by_role("button", name="Remove")).to_be_visible()
    # A bridge call's key presses name nobody: the page says so instead of empty cells.
    expect(first.get_by_text("the provider does not say who pressed a key")).to_be_visible()
    expect(row(operator, ADA[0]).locator('td[data-label="Keys"]')).to_have_text("not reported")

    # Stopping the audio is one line, however many queued plays the provider drops (here the
    # welcome prompt's loop and a play queued behind it).
    first.get_by_role("button", name="Play").click()
    expect(timeline(operator).filter(has_text='played "')).to_have_count(
        2, timeout=EVENT_TIMEOUT_MS
    )
    first.get_by_role("button", name="Stop audio").click()
    expect(first.get_by_role("button", name="Stop audio")).to_be_hidden(timeout=EVENT_TIMEOUT_MS)
    expect(timeline(operator).filter(has_text="stopped the audio")).to_have_count(1)
    expect(timeline(operator).filter(has_text="The audio was stopped")).to_have_count(0)

    # Inviting someone already on the call says so, next to the invite form.
    first.get_by_text("Invite more people").click()
    invite = first.locator("form[data-invite-form]")
    invite.get_by_role("group", name="Contacts").get_by_label(ADA[0]).check()
    invite.get_by_role("button", name="Invite").click()
    expect(invite.locator("[data-message]")).to_have_text(
        "Ada Lovelace is already on the call or ringing.", timeout=EVENT_TIMEOUT_MS
    )
    first.get_by_text("Invite more people").click()

    # Alan rings out: named with the reason, counted as not reached, and can be rung again.
    expect_state(operator, ALAN[0], "failed")
    expect(
        timeline(operator).filter(has_text="Alan Turing was not reached: no answer")
    ).to_have_count(1)
    expect_count(operator, "not_reached", 1)
    # Rung again into the running call, he is busy this time: the provider says so.
    script(emulator, ALAN[1], outcome="busy")
    row(operator, ALAN[0]).get_by_role("button", name="Ring again").click()
    expect(timeline(operator).filter(has_text="Alan Turing was not reached: busy.")).to_have_count(
        1, timeout=EVENT_TIMEOUT_MS
    )
    expect_state(operator, ALAN[0], "failed")

    # Hang up asks first; going back (Escape) leaves the call running.
    first.get_by_role("button", name="Hang up").click()
    expect(operator.get_by_role("dialog")).to_be_visible()
    operator.keyboard.press("Escape")
    expect(operator.get_by_role("dialog")).to_be_hidden()
    expect(first.get_by_role("button", name="Hang up")).to_be_focused()
    expect(first.locator('[data-field="state"]')).to_have_text("Established")
    # Confirmed with the keyboard alone, it ends the call.
    first.get_by_role("button", name="Hang up").focus()
    operator.keyboard.press("Enter")
    confirm(operator, with_keyboard=True)
    expect(first.locator('[data-field="state"]')).to_have_text(
        "Terminated", timeout=EVENT_TIMEOUT_MS
    )
    expect(first.locator("p.call-message")).to_contain_text("terminated", timeout=EVENT_TIMEOUT_MS)

    # Ended while the incident is open: ring everyone again, or one person again.
    expect_buttons(first.locator(".call-controls"), ["Ring everyone again"])
    for name in (ADA[0], GRACE[0], ALAN[0]):
        expect(row(operator, name).get_by_role("button", name="Ring again")).to_be_visible()
        expect(row(operator, name).get_by_role("button", name="Remove")).to_have_count(0)
    expect_count(operator, "left", 2)
    expect_count(operator, "not_reached", 3)
    expect_buttons(viewer.locator("#calls"), [])

    script(emulator, ADA[1], outcome="answer", answerAfterMs=2_000, tones="1", tonesAfterMs=500)
    script(emulator, GRACE[1], outcome="decline", answerAfterMs=1_000)
    script(emulator, ALAN[1], outcome="answer", answerAfterMs=60_000)
    first.get_by_role("button", name="Ring everyone again").click()
    second = call_section(operator, 1)
    expect(second).to_be_visible(timeout=EVENT_TIMEOUT_MS)
    for page in (operator, viewer):
        expect_state(call_section(page, 1), ADA[0], "joined")
    # The old call no longer offers to ring the people the new one rings.
    expect_buttons(first.locator(".call-controls"), [])
    expect(row(first, ADA[0]).get_by_role("button", name="Ring again")).to_have_count(0)
    expect_buttons(viewer.locator("#calls"), [])

    # The incident resolved (after asking): no call controls anywhere, for anyone.
    operator.get_by_role("button", name="Resolve incident").click()
    confirm(operator)
    expect(operator.locator("#incident-status")).to_have_text("Resolved", timeout=EVENT_TIMEOUT_MS)
    expect(operator.locator("#incident-controls")).to_be_hidden()
    expect_buttons(operator.locator("#calls"), [])
    for summary in operator.get_by_text("Invite more people").all():
        expect(summary).to_be_hidden()
    screenshot(operator, "incident-desktop-resolved")
    expect_same_document(operator)
    for page in (operator, viewer):
        page.context.close()


def test_a_phone_sees_stacked_cards_and_acknowledgements_without_sideways_scrolling(
    browser: Browser, live_server_url: str, emulator: httpx.Client
) -> None:
    # Ada answers first and presses 1; Grace joins too. The preview does not say who pressed, so
    # there Ada presses while she is alone on the bridge; GA names her, so there she presses
    # once the app listens for her keys (it starts when she joins), after Grace joined.
    # (Broadcast mode is a call-out now, with its own table: test_callout.)
    ada_presses_after = 15_000 if speaks_ga() else 500
    script(
        emulator,
        ADA[1],
        outcome="answer",
        answerAfterMs=1_000,
        tones="1",
        tonesAfterMs=ada_presses_after,
    )
    script(emulator, GRACE[1], outcome="answer", answerAfterMs=6_000)
    phone = sign_in(
        browser,
        live_server_url,
        "operator",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    declare(
        phone,
        "Database replica lagging behind by more than ten minutes",
        contacts=(ADA[0], GRACE[0]),
    )
    expect(row(phone, ADA[0])).to_have_attribute(
        "data-acknowledged", "true", timeout=EVENT_TIMEOUT_MS
    )
    expect(row(phone, ADA[0])).to_contain_text("✓ acknowledged")
    expect_count(phone, "acknowledged", 1)

    # Someone on the call can be removed from a phone too (asked first).
    expect_state(phone, GRACE[0], "joined")
    row(phone, GRACE[0]).get_by_role("button", name="Remove").click()
    expect(phone.get_by_role("dialog")).to_contain_text("Remove Grace Hopper from the call?")
    assert no_sideways_scroll(phone)
    screenshot(phone, "incident-phone-confirm")
    confirm(phone)
    expect_state(phone, GRACE[0], "removed")

    card = row(phone, ADA[0])
    assert card.evaluate("el => getComputedStyle(el).display") == "block"
    assert no_sideways_scroll(phone)
    phone.get_by_text("Invite more people").first.click()
    assert no_sideways_scroll(phone)
    screenshot(phone, "incident-phone")
    phone.context.close()
