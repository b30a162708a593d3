"""A message typed in the declare form is what the phone plays: on GA the provider speaks it (a
text source in the chosen voice); on the 2021 dialect the app speaks it (espeak-ng, sox) and the
embedded emulator fetches and plays the WAV it serves."""

import re
import time
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.pages import EVENT_TIMEOUT_MS, screenshot, script, sign_in, speaks_ga
from tests.calls.test_typed_prompts import needs_speech

pytestmark = needs_speech
NUMBER = "+14255550188"
SAID = "Water in the server room. Press 1 if you can come."


def plays_of(emulator: httpx.Client) -> list[dict[str, Any]]:
    calls = emulator.get("/calls").json()["calls"]
    return [play for call in calls if call["targets"] == [NUMBER] for play in call["media"]]


def test_a_typed_message_is_spoken_on_the_call(
    browser: Browser, live_server_url: str, emulator: httpx.Client
) -> None:
    script(emulator, NUMBER, outcome="answer", answerAfterMs=500)
    operator = sign_in(
        browser, live_server_url, "operator", viewport={"width": 1280, "height": 1400}
    )
    operator.goto("/incidents/declare/")
    operator.get_by_label("Title").fill("Flooding")
    operator.get_by_label("Numbers").fill(NUMBER)
    operator.get_by_label("Or type the message").fill(SAID)
    operator.get_by_label("Voice").select_option(label="English (UK), female")
    screenshot(operator, "declare-typed-message")
    operator.get_by_role("button", name="Declare and call").click()
    expect(operator).to_have_url(re.compile(r"/incidents/\d+/$"))

    deadline = time.monotonic() + EVENT_TIMEOUT_MS / 1000
    while not (plays := plays_of(emulator)) and time.monotonic() < deadline:
        time.sleep(0.2)
    (play,) = plays
    assert play["loop"] is True
    assert play["status"] != "failed", play
    if speaks_ga():
        assert play["sources"] == [{"kind": "text", "text": SAID, "locale": "en-GB"}]
        operator.context.close()
        return
    assert re.search(r"/calls/prompts/\d+\.wav$", play["audioFileUri"])
    # The emulator fetched the WAV the app rendered (a format it refuses would fail the play).
    served = httpx.get(play["audioFileUri"], timeout=10)
    assert served.status_code == 200 and served.content[:4] == b"RIFF"
    screenshot(operator, "typed-message-playing")
    operator.context.close()
