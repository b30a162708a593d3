"""The escalation panel on the live incident page: declared with a policy from the form, its
step and countdown shown; "Escalate now" runs step 2 without a reload; resolving stops it."""

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import ADA, EVENT_TIMEOUT_MS, confirm, screenshot, script, sign_in
from tests.live_server import LiveServer

POLICY = """
from calls.models import CallMode
from contacts.models import ContactGroup
from escalations.models import EscalationPolicy
from escalations.services.policies import StepSpec, create_policy
if not EscalationPolicy.objects.filter(name="Checkout on call").exists():
    create_policy(name="Checkout on call", steps=[
        StepSpec(mode=CallMode.BRIDGE, wait_seconds=600,
                 groups=[ContactGroup.objects.get(name="On-call engineers")]),
        StepSpec(mode=CallMode.BRIDGE, wait_seconds=0, targets=["+14255550177"]),
    ])
"""


def test_the_incident_page_shows_the_escalation_live(
    browser: Browser, live_server_url: str, daphne_server: LiveServer, emulator: httpx.Client
) -> None:
    daphne_server.manage("shell", "-c", POLICY)
    script(emulator, ADA[1], outcome="answer", answerAfterMs=500)
    operator = sign_in(
        browser, live_server_url, "operator", viewport={"width": 1280, "height": 1400}
    )
    operator.goto("/incidents/declare/")
    operator.get_by_label("Title").fill("Checkout is down")
    operator.get_by_label("Numbers").fill("+14255550176")
    operator.get_by_label("Escalation policy").select_option(label="Checkout on call")
    operator.get_by_role("button", name="Declare and call").click()
    expect(operator).to_have_url(re.compile(r"/incidents/\d+/$"))

    panel = operator.locator("#escalation")
    expect(panel).to_contain_text("Checkout on call")
    expect(panel).to_contain_text("Step 1 of 2 has run.")
    expect(panel).to_contain_text(re.compile(r"Step 2 in (9|10) min \d+ s"))
    screenshot(operator, "escalation-running")

    panel.get_by_role("button", name="Escalate now").click()
    confirm(operator)
    expect(panel).to_contain_text("Step 2 of 2 has run.", timeout=EVENT_TIMEOUT_MS)
    expect(panel).to_contain_text("Finished: every step ran.")
    expect(panel.get_by_role("button", name="Escalate now")).to_be_hidden()
    expect(operator.locator("#timeline")).to_contain_text("step 2 of 2")
    screenshot(operator, "escalation-finished")
    operator.context.close()
