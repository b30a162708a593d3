"""A finished incident's report in a real browser: its charts render as SVG, with content,
and it prints to a PDF. Screenshot and PDF land in artifacts/ (gitignored)."""

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import (
    ADA,
    ALAN,
    GRACE,
    MARGARET,
    confirm,
    declare,
    expect_state,
    screenshot,
    script,
    sign_in,
)
from tests.live_server import ROOT

PDFS = ROOT / "artifacts" / "reports"


def test_the_report_of_a_finished_incident_draws_its_charts_and_prints(
    browser: Browser, live_server_url: str, emulator: httpx.Client
) -> None:
    # Emulator milliseconds (a tenth of real time): Ada is first on the bridge and presses 1
    # while alone there, so the acknowledgement is hers.
    script(
        emulator,
        ADA[1],
        outcome="answer",
        answerAfterMs=1_000,
        tones="1",
        tonesAfterMs=3_000,
        hangUpAfterMs=40_000,
    )
    script(emulator, GRACE[1], outcome="answer", answerAfterMs=8_000, hangUpAfterMs=20_000)
    script(emulator, MARGARET[1], outcome="answer", answerAfterMs=12_000, hangUpAfterMs=10_000)
    script(emulator, ALAN[1], outcome="no-answer")
    page = sign_in(browser, live_server_url, "operator")
    incident_url = declare(page, "Report me", group="On-call engineers", contacts=(MARGARET[0],))
    for name in (ADA[0], GRACE[0], MARGARET[0]):
        expect_state(page, name, "left")
    page.get_by_role("button", name="Resolve incident").click()
    confirm(page)
    expect(page.locator("#incident-status")).to_have_text("Resolved")

    page.get_by_role("link", name="Report and cost").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+/report/$"))
    assert page.url.startswith(incident_url)
    expect(page.locator('[data-figure="targeted"]')).to_have_text("4")
    expect(page.locator('[data-figure="acknowledged"]')).to_have_text("1")
    expect(page.locator('[data-figure="first_responder"]')).to_contain_text(ADA[0])
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    for chart in charts.all():
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 30
        assert chart.locator("text, rect, polyline").count() > 0
        assert chart.locator(":scope > title").text_content()
    expect(page.locator("svg.chart rect.lane")).to_have_count(3)  # Ada, Grace, Margaret
    expect(page.locator("svg.chart polyline.line")).to_have_count(1)
    screenshot(page, "report")
    PDFS.mkdir(parents=True, exist_ok=True)
    pdf = PDFS / "report.pdf"
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
