"""HMAC authentication over real HTTP, standalone and mounted under a prefix as `make run` does."""

import base64
from collections.abc import Generator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from acs_emulator import EmulatorConfig
from tests.acs_emulator.conftest import StartEmulator
from tests.acs_emulator.scenarios import ACCESS_KEY, CALLS, TIME_SCALE, call_body, place_call
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth, sha256_b64

PREFIX = "/acs-emulator"
WRONG_KEY = base64.b64encode(b"not the emulator's key").decode("ascii")


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == "Unauthorized"


def test_missing_authorization_is_401(emulator_url: str, control: httpx.Client) -> None:
    with httpx.Client(base_url=emulator_url) as client:
        response = client.post(CALLS, json={})

    assert_unauthorized(response)
    assert "missing" in response.json()["message"]


def test_signature_with_the_wrong_key_is_401(emulator_url: str, control: httpx.Client) -> None:
    with httpx.Client(base_url=emulator_url, auth=HmacAuth(WRONG_KEY)) as client:
        assert_unauthorized(client.post(CALLS, json={}))


def test_body_not_matching_its_content_hash_is_401(
    emulator_url: str, control: httpx.Client
) -> None:
    auth = HmacAuth(ACCESS_KEY, content_hash=sha256_b64(b"{}"))
    with httpx.Client(base_url=emulator_url, auth=auth) as client:
        response = client.post(CALLS, json={"tampered": True})

    assert_unauthorized(response)
    assert "content-sha256" in response.json()["message"]


@pytest.mark.parametrize("age", [timedelta(minutes=16), -timedelta(minutes=16)])
def test_date_more_than_15_minutes_off_is_401(
    emulator_url: str, control: httpx.Client, age: timedelta
) -> None:
    auth = HmacAuth(ACCESS_KEY, date=datetime.now(UTC) - age)
    with httpx.Client(base_url=emulator_url, auth=auth) as client:
        response = client.post(CALLS, json={})

    assert_unauthorized(response)
    assert "server clock" in response.json()["message"]


def test_date_within_the_skew_is_accepted(
    emulator_url: str, control: httpx.Client, receiver: Receiver
) -> None:
    auth = HmacAuth(ACCESS_KEY, date=datetime.now(UTC) - timedelta(minutes=14))
    with httpx.Client(base_url=emulator_url, auth=auth) as client:
        assert client.post(CALLS, json=call_body(receiver.url)).status_code == 200


def test_clock_skew_is_configurable(start_emulator: StartEmulator, receiver: Receiver) -> None:
    config = EmulatorConfig(
        access_key=ACCESS_KEY, time_scale=TIME_SCALE, max_clock_skew=timedelta(minutes=1)
    )
    url = start_emulator(config)
    auth = HmacAuth(ACCESS_KEY, date=datetime.now(UTC) - timedelta(minutes=2))
    with httpx.Client(base_url=url, auth=auth) as client:
        assert_unauthorized(client.post(CALLS, json=call_body(receiver.url)))


def test_signing_the_older_date_header_is_accepted(
    emulator_url: str, control: httpx.Client, receiver: Receiver
) -> None:
    auth = HmacAuth(ACCESS_KEY, date_header="date")
    with httpx.Client(base_url=emulator_url, auth=auth) as client:
        assert client.post(CALLS, json=call_body(receiver.url)).status_code == 200


def test_query_string_is_part_of_what_is_signed(
    emulator_url: str, control: httpx.Client, receiver: Receiver
) -> None:
    def retarget(request: httpx.Request) -> None:
        request.url = request.url.copy_with(query=b"api-version=2021-04-15-preview1")

    # The hook runs after signing, so the signed path lacks the query the server receives.
    hooks = {"request": [retarget]}
    auth = HmacAuth(ACCESS_KEY)
    with httpx.Client(base_url=emulator_url, auth=auth, event_hooks=hooks) as client:
        response = client.post(CALLS, json=call_body(receiver.url))

    assert_unauthorized(response)
    assert "signature does not match" in response.json()["message"]


def test_mounted_emulator_verifies_the_full_path_it_was_sent(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    url = start_emulator(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE), PREFIX)

    with httpx.Client(base_url=url, auth=HmacAuth(ACCESS_KEY)) as client:
        call_leg_id = place_call(client, call_body(receiver.url))
        hangup = client.post(f"{CALLS}/{call_leg_id}/Hangup?api-version=2021-04-15-preview1")

    assert hangup.status_code == 202
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")


def test_mounted_emulator_rejects_a_signature_over_the_path_without_prefix(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    url = start_emulator(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE), PREFIX)

    def strip_prefix_before_signing(request: httpx.Request) -> None:
        request.url = request.url.copy_with(path=request.url.path.removeprefix(PREFIX))

    def restore_prefix(request: httpx.Request) -> None:
        request.url = request.url.copy_with(path=PREFIX + request.url.path)

    class PrefixBlindAuth(HmacAuth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            strip_prefix_before_signing(request)
            signed = next(super().auth_flow(request))
            restore_prefix(signed)
            yield signed

    with httpx.Client(base_url=url, auth=PrefixBlindAuth(ACCESS_KEY)) as client:
        response = client.post(CALLS, json=call_body(receiver.url))

    assert_unauthorized(response)
    assert "signature does not match" in response.json()["message"]


def test_mounted_emulator_serves_its_page_with_prefixed_links(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    url = start_emulator(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE), PREFIX)
    with httpx.Client(base_url=url, auth=HmacAuth(ACCESS_KEY)) as client:
        call_leg_id = place_call(client, call_body(receiver.url))
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")

    with httpx.Client(base_url=url) as browser:
        page = browser.get("/emulator/")
        calls = browser.get("/emulator/calls").json()["calls"]
        callee = calls[0]["participants"][1]["participantId"]
        pressed = browser.post(
            f"/emulator/calls/{call_leg_id}/participants/{callee}/tones",
            content=b"tones=1",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    assert (
        f'action="{PREFIX}/emulator/calls/{call_leg_id}/participants/{callee}/hangup"' in page.text
    )
    assert pressed.status_code == 303 and pressed.headers["location"] == f"{PREFIX}/emulator/"


def test_unknown_path_is_a_flat_json_404(emulator_url: str, control: httpx.Client) -> None:
    response = control.get("/calling/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"code": "NotFound", "message": "Not Found"}
