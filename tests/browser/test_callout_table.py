"""A call-out's recipient table at 120 people: paged on the server, filtered by status.

Dialling 120 people through the engine would take minutes, and what is tested here is only
how the page shows rows already recorded: so the call-out is declared and its people's
statuses are set from a shell, on the shared live server, which runs no worker (nothing dials
them). The engine, live, is tests/browser/test_callout.py's.
"""

import re

from playwright.sync_api import Browser, expect

from tests.browser.pages import sign_in
from tests.live_server import LiveServer

PEOPLE = 120
# Calling order: the first 12 acknowledged, 5 cannot help, 3 not reached; the rest waiting.
SEED = f"""
from callouts.models import Recipient
from calls.models import CallMode
from calls.targets import Target
from contacts.models import Contact
from incidents.services import declare_incident
contacts = Contact.objects.bulk_create(
    Contact(name=f"Person {{n:03}}", phone_number=f"+1425700{{n:04}}")
    for n in range(1, {PEOPLE + 1})
)
incident = declare_incident(
    title="Evacuate building B", targets=[Target(c.phone_number, c) for c in contacts],
    mode=CallMode.BROADCAST, declared_by=None,
)
recipients = Recipient.objects.filter(callout__incident=incident)
for status, first, last in (("acknowledged", 1, 12), ("declined", 13, 17), ("not_reached", 18, 20)):
    recipients.filter(position__gte=first, position__lte=last).update(status=status)
print(incident.pk)
"""


def test_the_table_pages_on_the_server_and_filters_by_status(
    browser: Browser, daphne_server: LiveServer
) -> None:
    output = daphne_server.manage("shell", "--no-imports", "-c", SEED)
    incident_id = output.strip().splitlines()[-1]
    operator = sign_in(browser, daphne_server.url, "operator")
    operator.goto(f"/incidents/{incident_id}/")
    expect(operator.locator("#callout-done")).to_have_text("20 of 120 done (16%).")
    rows = operator.locator("#recipient-rows tr")
    expect(rows).to_have_count(50)
    expect(operator.locator("#recipients-count")).to_have_text(
        "120 people, in calling order; 1–50 shown."
    )
    expect(rows.first).to_contain_text("Person 001")

    operator.locator("#recipient-pages").get_by_role("link", name="Next").click()
    expect(operator).to_have_url(re.compile(r"page=2"))
    expect(operator.locator("#recipients-count")).to_have_text(
        "120 people, in calling order; 51–100 shown."
    )
    expect(rows.first).to_contain_text("Person 051")
    operator.get_by_label("Show").select_option(label="Cannot help")
    operator.get_by_role("button", name="Apply").click()
    expect(operator.locator("#recipients-count")).to_have_text(
        "5 people (cannot help), in calling order; 1–5 shown."
    )
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("Person 013")
    expect(operator.locator("#recipient-pages")).to_be_hidden()
    operator.context.close()
