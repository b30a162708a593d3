"""The incident page's roster flags someone the app never invited (calls.Participant.uninvited,
which applying a roster sets; tests/calls/test_uninvited.py): a "not invited" badge in their
row, and none in anyone else's."""

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import (
    ADA,
    EVENT_TIMEOUT_MS,
    call_section,
    declare,
    expect_state,
    row,
    script,
    sign_in,
)
from tests.live_server import LiveServer

STRANGER = "+14255550999"
# Someone the provider's roster showed, as applying it records them (the emulator dials out only).
WALK_IN = """
from django.utils import timezone
from calls.models import Call, Participant, ParticipantState
call = Call.objects.filter(incident_id={incident}).latest("id")
Participant.objects.create(call=call, identifier="{stranger}", uninvited=True,
                           state=ParticipantState.JOINED, joined_at=timezone.now())
"""


def test_the_roster_flags_someone_the_app_did_not_invite(
    browser: Browser, live_server_url: str, daphne_server: LiveServer, emulator: httpx.Client
) -> None:
    script(emulator, ADA[1], outcome="answer", answerAfterMs=300)
    operator = sign_in(browser, live_server_url, "operator")
    url = declare(operator, "Uninvited guest", contacts=(ADA[0],))
    expect_state(call_section(operator), ADA[0], "joined")

    found = re.search(r"/incidents/(\d+)/$", url)
    assert found is not None
    daphne_server.manage(
        "shell", "--no-imports", "-c", WALK_IN.format(incident=found[1], stranger=STRANGER)
    )
    operator.reload()
    guest = row(call_section(operator), STRANGER)
    expect(guest.locator(".badge.uninvited")).to_have_text("not invited", timeout=EVENT_TIMEOUT_MS)
    expect(row(call_section(operator), ADA[0]).locator(".badge.uninvited")).to_have_count(0)
