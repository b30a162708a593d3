"""The embedded emulator against a page of another site, in a real browser: it can neither read
the call list nor change anything; the emulator's own page still can.

A screenshot of the emulator's page goes to artifacts/screenshots/emulator.png.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Browser

from tests.browser.pages import SCREENSHOTS

PERSON = "+14255550777"


class _BlankPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>Another site</title><p>Another site"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def another_site() -> Iterator[str]:
    """A page on another port of this machine: another origin (and, for the browser, the same
    site, which the emulator refuses as well)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BlankPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_another_sites_page_can_neither_read_nor_change_the_emulator(
    browser: Browser, live_server_url: str, emulator: httpx.Client, another_site: str
) -> None:
    emulator.put(f"/behaviours/{PERSON}", json={"tones": "1"}).raise_for_status()
    page = browser.new_page()
    page.goto(another_site)
    base = f"{live_server_url}/acs-emulator/emulator"

    read = page.evaluate(
        "url => fetch(url).then(r => 'read ' + r.status, e => 'refused: ' + e.name)",
        f"{base}/calls",
    )
    assert read == "refused: TypeError"  # no CORS header: the browser keeps the answer from it
    # A simple cross-origin POST may be sent (its answer opaque to the page, or refused on
    # the way back for its Cross-Origin-Resource-Policy): the emulator must refuse it anyway.
    page.evaluate(
        "url => fetch(url, {method: 'POST', mode: 'no-cors'}).catch(e => e.name)", f"{base}/reset"
    )
    assert PERSON in emulator.get("/behaviours").json()["behaviours"]

    own = browser.new_page()
    own.goto(f"{base}/")
    own.screenshot(path=str(SCREENSHOTS / "emulator.png"), full_page=True)
    status = own.evaluate(
        "url => fetch(url, {method: 'DELETE'}).then(r => r.status)", f"{base}/behaviours/{PERSON}"
    )
    assert status == 204
    assert PERSON not in emulator.get("/behaviours").json()["behaviours"]
