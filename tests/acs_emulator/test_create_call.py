"""Create call: body validation, caller ids and api-version (repeatability: test_repeatability)."""

import uuid

import httpx
import pytest

from acs_emulator import EmulatorConfig
from tests.acs_emulator.conftest import StartEmulator
from tests.acs_emulator.scenarios import (
    ACCESS_KEY,
    CALLER_ID,
    CALLS,
    TIME_SCALE,
    acs_user,
    call_body,
    calls_in_emulator,
    phone,
)
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth

pytestmark = pytest.mark.dialect("preview")

GUID_LENGTH = 36


def with_changes(body: dict[str, object], **changes: object) -> dict[str, object]:
    changed = {**body, **changes}
    return {key: value for key, value in changed.items() if value is not None}


def test_create_call_answers_200_with_a_call_leg_id(acs: httpx.Client, receiver: Receiver) -> None:
    response = acs.post(CALLS, json=call_body(receiver.url))

    assert response.status_code == 200
    assert set(response.json()) == {"callLegId"}
    assert uuid.UUID(response.json()["callLegId"])
    assert len(response.json()["callLegId"]) == GUID_LENGTH


def test_create_call_status_can_be_201_like_the_sdk_expected(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    url = start_emulator(
        EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE, create_call_status=201)
    )
    with httpx.Client(base_url=url, auth=HmacAuth(ACCESS_KEY)) as client:
        response = client.post(CALLS, json=call_body(receiver.url))

    assert response.status_code == 201


@pytest.mark.parametrize(
    "caller_id",
    [
        {"alternateCallerId": {"value": CALLER_ID}},
        {"alternateCallerId": phone(CALLER_ID)},
        {"sourceAlternateIdentity": {"value": CALLER_ID}},
    ],
)
def test_caller_id_is_accepted_in_each_documented_spelling(
    acs: httpx.Client, receiver: Receiver, caller_id: dict[str, object]
) -> None:
    body = {**with_changes(call_body(receiver.url), alternateCallerId=None), **caller_id}

    assert acs.post(CALLS, json=body).status_code == 200


@pytest.mark.parametrize("version", [None, "2021-04-15-preview1"])
def test_api_version_is_optional_but_accepted(
    acs: httpx.Client, receiver: Receiver, version: str | None
) -> None:
    params = {"api-version": version} if version else {}

    assert acs.post(CALLS, params=params, json=call_body(receiver.url)).status_code == 200


def test_another_api_version_is_rejected(acs: httpx.Client, receiver: Receiver) -> None:
    response = acs.post(CALLS, params={"api-version": "2023-03-06"}, json=call_body(receiver.url))

    assert response.status_code == 400
    assert response.json()["code"] == "UnsupportedApiVersion"


INVALID_BODIES = {
    "source missing": {"source": None},
    "source is a phone": {"source": phone(CALLER_ID)},
    "targets missing": {"targets": None},
    "targets empty": {"targets": []},
    "target not E.164": {"targets": [phone("555-0100")]},
    "target number too short": {"targets": [phone("+12345")]},
    "target user id without 8:": {"targets": [acs_user("acs:abc")]},
    "target with two kinds": {"targets": [{**phone("+14255550123"), **acs_user("8:acs:x")}]},
    "target Teams user": {"targets": [{"microsoftTeamsUser": {"userId": "x"}}]},
    "target not an object": {"targets": ["+14255550123"]},
    "same target twice": {"targets": [phone("+14255550123"), phone("+14255550123")]},
    "callbackUri missing": {"callbackUri": None},
    "callbackUri relative": {"callbackUri": "/callbacks"},
    "callbackUri not http": {"callbackUri": "ftp://example.com/cb"},
    "modalities missing": {"requestedModalities": None},
    "modality unknown": {"requestedModalities": ["hologram"]},
    "call event unknown": {"requestedCallEvents": ["toneReceived"]},
    "phone target without caller id": {"alternateCallerId": None},
    "caller id not E.164": {"alternateCallerId": {"value": "0425"}},
    "subject not a string": {"subject": 42},
}


@pytest.mark.parametrize("changes", INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_invalid_create_call_body_is_400_and_creates_nothing(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, changes: dict[str, object]
) -> None:
    body = with_changes(call_body(receiver.url), **changes)

    response = acs.post(CALLS, json=body)

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}
    assert calls_in_emulator(control) == 0


@pytest.mark.parametrize("content", [b"{not json", b"[]", b""])
def test_body_that_is_not_a_json_object_is_400(acs: httpx.Client, content: bytes) -> None:
    response = acs.post(CALLS, content=content, headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.json()["code"] == "BadRequest"
