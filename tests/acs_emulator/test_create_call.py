"""Create call: body validation, caller ids, api-version, and Repeatability-Request-ID."""

import uuid
from datetime import UTC, datetime, timedelta

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
    phone,
)
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth, rfc1123

GUID_LENGTH = 36


def with_changes(body: dict[str, object], **changes: object) -> dict[str, object]:
    changed = {**body, **changes}
    return {key: value for key, value in changed.items() if value is not None}


def calls_in_emulator(control: httpx.Client) -> int:
    return len(control.get("/emulator/calls").json()["calls"])


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


def repeatable(request_id: str, first_sent: datetime | None = None) -> dict[str, str]:
    return {
        "Repeatability-Request-ID": request_id,
        "Repeatability-First-Sent": rfc1123(first_sent or datetime.now(UTC)),
    }


def test_repeated_create_call_returns_the_same_call_and_places_one_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()))
    body = call_body(receiver.url)

    first = acs.post(CALLS, json=body, headers=headers)
    again = acs.post(CALLS, json=body, headers=headers)

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.headers["Repeatability-Result"] == "accepted"
    assert calls_in_emulator(control) == 1


def test_new_request_id_places_a_new_call(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    body = call_body(receiver.url)

    first = acs.post(CALLS, json=body, headers=repeatable(str(uuid.uuid4())))
    second = acs.post(CALLS, json=body, headers=repeatable(str(uuid.uuid4())))

    assert first.json() != second.json()
    assert calls_in_emulator(control) == 2


def test_reused_request_id_with_another_body_is_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()))
    acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    response = acs.post(CALLS, json=call_body(receiver.url, phone("+14255550777")), headers=headers)

    assert response.status_code == 400
    assert response.headers["Repeatability-Result"] == "rejected"
    assert calls_in_emulator(control) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {
            "Repeatability-Request-ID": "not-a-guid",
            "Repeatability-First-Sent": rfc1123(datetime.now(UTC)),
        },
        {"Repeatability-Request-ID": str(uuid.uuid4()), "Repeatability-First-Sent": "yesterday"},
        {"Repeatability-Request-ID": str(uuid.uuid4())},
        {"Repeatability-First-Sent": rfc1123(datetime.now(UTC))},
    ],
    ids=["bad id", "bad date", "id alone", "date alone"],
)
def test_malformed_repeatability_headers_are_400(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, headers: dict[str, str]
) -> None:
    response = acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    assert response.status_code == 400
    assert calls_in_emulator(control) == 0


def test_first_sent_older_than_five_minutes_is_412(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver
) -> None:
    headers = repeatable(str(uuid.uuid4()), datetime.now(UTC) - timedelta(minutes=6))

    response = acs.post(CALLS, json=call_body(receiver.url), headers=headers)

    assert response.status_code == 412
    assert calls_in_emulator(control) == 0
