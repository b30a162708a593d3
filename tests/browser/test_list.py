"""The incident list in a real browser: live from another tab, usable by keyboard and on a phone.

Screenshots of the list (desktop and phone) and of the 404 page go to artifacts/screenshots/.
"""

import re
from types import SimpleNamespace

import httpx
import pytest
from django.template.loader import render_to_string
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.pages import EVENT_TIMEOUT_MS, SCREENSHOTS, sign_in
from tests.live_server import LiveServer

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
LONG_TITLE = "Payments-gateway-eu-west-1-returns-502-for-every-checkout-request-since-the-deploy"


@pytest.fixture(scope="module")
def many_incidents(daphne_server: LiveServer) -> None:
    """Enough incidents for two pages, one with a long unbroken title (the phone's worst case)."""
    daphne_server.manage(
        "shell",
        "-c",
        "from incidents.models import Incident\n"
        "Incident.objects.bulk_create("
        "[Incident(title=f'Background noise {n}', severity='minor') for n in range(30)]"
        f" + [Incident(title='{LONG_TITLE}', severity='critical')])",
    )


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def show_404_page(page: Page) -> None:
    """The live server runs with DEBUG on, which answers 404 with Django's technical page: put
    our 404 page, rendered as Django renders it for a signed-in viewer, on a page of the site."""
    viewer = SimpleNamespace(is_authenticated=True, is_staff=False, get_username="viewer")
    html = render_to_string("404.html", {"user": viewer})
    page.set_content(html)
    expect(page.get_by_role("heading", name="There is nothing here")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out viewer")).to_be_visible()


def no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_the_list_shows_an_incident_declared_in_another_tab_without_reloading(
    browser: Browser,
    daphne_server: LiveServer,
    live_server_url: str,
    emulator: httpx.Client,
    many_incidents: None,
) -> None:
    watcher = sign_in(browser, live_server_url, "viewer")
    expect(watcher.locator("#list-live")).to_have_text("Live")
    watcher.evaluate("window.__sameDocument = true")

    operator = sign_in(browser, live_server_url, "operator")
    operator.goto("/incidents/declare/")
    operator.get_by_label("Title").fill("Search is down")
    operator.get_by_label("Numbers").fill("+14255550199")
    operator.get_by_role("button", name="Declare and call").click()
    expect(operator).to_have_url(re.compile(r"/incidents/\d+/$"))
    incident_id = operator.url.rstrip("/").rsplit("/", 1)[1]

    row = watcher.locator(f'tr[data-incident-id="{incident_id}"]')
    expect(row).to_contain_text("Search is down", timeout=EVENT_TIMEOUT_MS)
    expect(row).to_contain_text("Active", timeout=EVENT_TIMEOUT_MS)
    expect(watcher.locator("tbody tr").first).to_have_attribute("data-incident-id", incident_id)
    expect(row.locator("[data-called]")).to_have_text("1")

    # Resolved by another system, through the API.
    token = daphne_server.manage("drf_create_token", "operator").split()[2]
    httpx.post(
        f"{live_server_url}/api/incidents/{incident_id}/resolve/",
        headers={"Authorization": f"Token {token}"},
    ).raise_for_status()
    # Closed, it drops below the 31 open incidents: off the first page.
    expect(row).to_have_count(0, timeout=EVENT_TIMEOUT_MS)
    assert watcher.evaluate("window.__sameDocument === true"), "the list reloaded"
    screenshot(watcher, "list-desktop.png")
    watcher.get_by_role("link", name="Page 2").click()
    expect(row).to_contain_text("Resolved")
    for page in (watcher, operator):
        page.context.close()


def test_every_control_on_the_list_is_reachable_by_keyboard(
    browser: Browser, live_server_url: str, many_incidents: None
) -> None:
    page = sign_in(browser, live_server_url, "operator")
    expect(page.locator("#list-live")).to_have_text("Live")
    controls = page.evaluate(
        """Array.from(document.querySelectorAll('a[href], button, input, select'))
             .filter((el) => el.offsetParent !== null || el.matches('.skip-link'))
             .map((el) => el.outerHTML)"""
    )
    reached = []
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.outerHTML"))
    assert set(controls) <= set(reached), set(controls) - set(reached)

    # Search with the keyboard alone: type, Enter.
    page.get_by_label("Title contains").focus()
    page.keyboard.type("noise 1")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=noise\+1"))
    expect(page.locator("tbody tr").first).to_contain_text("Background noise 1")
    page.context.close()


def test_the_list_fits_a_phone_without_sideways_scrolling(
    browser: Browser, live_server_url: str, many_incidents: None
) -> None:
    page = sign_in(browser, live_server_url, "operator")
    page.set_viewport_size(PHONE)
    page.goto("/?severity=critical")
    expect(page.locator("tbody tr").first).to_contain_text(LONG_TITLE[:20])
    assert no_sideways_scroll(page)
    page.goto("/")
    expect(page.locator("#list-live")).to_have_text("Live")
    assert no_sideways_scroll(page)
    screenshot(page, "list-phone.png", full_page=False)  # the first screen, as a phone shows it
    show_404_page(page)
    assert no_sideways_scroll(page)
    screenshot(page, "404-phone.png")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "404-desktop.png")
    page.context.close()


def test_favicon_ico_leads_to_the_icon(live_server_url: str) -> None:
    response = httpx.get(live_server_url + "/favicon.ico", follow_redirects=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
