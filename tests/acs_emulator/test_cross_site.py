"""The unauthenticated control API and page against other sites' pages: no changes asked for by
them, nothing readable by them. Scripts (no browser headers) and the emulator's own page work."""

from urllib.parse import urlsplit

import httpx
import pytest

from tests.acs_emulator.scenarios import call_body, established_call
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.test_control import FORM, person_url, remote_participant

ANOTHER_SITE = {"origin": "https://attacker.example", "sec-fetch-site": "cross-site"}


def own_origin(control: httpx.Client) -> dict[str, str]:
    """What a browser sends with a form of the emulator's own page."""
    origin = f"{control.base_url.scheme}://{urlsplit(str(control.base_url)).netloc}"
    return {"origin": origin, "sec-fetch-site": "same-origin"}


@pytest.mark.parametrize(
    "headers",
    [
        ANOTHER_SITE,
        {"origin": "https://attacker.example"},  # an older browser: Origin only
        {"origin": "null"},  # a sandboxed frame or a redirect chain
        {"sec-fetch-site": "same-site"},  # another port or subdomain of this host
    ],
)
def test_another_sites_form_cannot_press_keys_for_a_person(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, headers: dict[str, str]
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(
        person_url(call_leg_id, callee, "tones"), content=b"tones=1", headers=FORM | headers
    )

    assert response.status_code == 403
    assert response.json()["code"] == "CrossSiteRequest"
    assert remote_participant(control, call_leg_id)["tonesPressed"] == ""


def test_the_emulators_own_page_still_presses_keys(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    callee = remote_participant(control, call_leg_id)

    response = control.post(
        person_url(call_leg_id, callee, "tones"),
        content=b"tones=1",
        headers=FORM | own_origin(control),
    )

    assert response.status_code == 303
    assert remote_participant(control, call_leg_id)["tonesPressed"] == "1"


def test_another_site_can_neither_reset_nor_fault_nor_script_people(
    control: httpx.Client,
) -> None:
    control.put("/emulator/behaviours/+14255550123", json={"tones": "1"}).raise_for_status()
    faults = control.get("/emulator/faults").json()
    attempts = [
        control.post("/emulator/reset", headers=ANOTHER_SITE),
        control.put("/emulator/faults", json={"error500Rate": 1}, headers=ANOTHER_SITE),
        control.delete("/emulator/behaviours/+14255550123", headers=ANOTHER_SITE),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403]
    assert "+14255550123" in control.get("/emulator/behaviours").text
    assert control.get("/emulator/faults").json() == faults


def test_its_answers_are_not_readable_from_other_origins(control: httpx.Client) -> None:
    for path in ("/emulator/", "/emulator/calls", "/emulator/behaviours"):
        response = control.get(path, headers={"origin": "https://attacker.example"})
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["cross-origin-resource-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
    preflight = control.options(
        "/emulator/calls",
        headers={"origin": "https://attacker.example", "access-control-request-method": "GET"},
    )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
