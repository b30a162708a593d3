"""GA REST surface: paths, status codes, bodies and CommunicationErrorResponse errors (3.1-3.5)."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.acs_emulator.ga import (
    CONNECTIONS,
    GA_VERSION,
    Q,
    action,
    connected_ga_call,
    create_ga_call,
    ga_call_body,
    types_of,
)
from tests.acs_emulator.scenarios import (
    CALLEE,
    CALLER_ID,
    call_body,
    calls_in_emulator,
    phone,
    place_call,
)
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth, rfc1123

pytestmark = pytest.mark.dialect("ga")

COLLEAGUE = "+14255550177"


def test_create_call_answers_201_with_the_connection_properties(
    acs: httpx.Client, receiver: Receiver
) -> None:
    response = acs.post(CONNECTIONS, params=Q, json=ga_call_body(receiver.url))

    assert response.status_code == 201
    body = response.json()
    assert body["callConnectionState"] == "connecting"
    assert body["targets"] == [
        {"kind": "phoneNumber", "rawId": f"4:{CALLEE}", "phoneNumber": {"value": CALLEE}}
    ]
    assert body["sourceCallerIdNumber"] == {"value": CALLER_ID}
    assert body["source"]["rawId"].startswith("8:acs:")
    assert body["serverCallId"] and body["correlationId"]
    uuid.UUID(body["callConnectionId"])


def test_get_call_follows_the_call_to_connected(acs: httpx.Client, receiver: Receiver) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))

    response = acs.get(f"{CONNECTIONS}/{call_id}", params=Q)

    assert response.status_code == 200
    assert response.json()["callConnectionState"] == "connected"


def test_a_phone_target_needs_a_caller_id(acs: httpx.Client, receiver: Receiver) -> None:
    body = ga_call_body(receiver.url)
    del body["sourceCallerIdNumber"]

    response = acs.post(CONNECTIONS, params=Q, json=body)

    assert response.status_code == 400
    assert "sourceCallerIdNumber" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("uri", "status"),
    [
        ("http://app.example/cb", 400),
        ("ftp://127.0.0.1/cb", 400),
        ("https://app.example/cb", 201),
        ("http://localhost:9/cb", 201),
    ],
)
def test_callback_uri_must_be_https_except_to_a_loopback_host(
    acs: httpx.Client, receiver: Receiver, uri: str, status: int
) -> None:
    body = {**ga_call_body(receiver.url), "callbackUri": uri}

    response = acs.post(CONNECTIONS, params=Q, json=body)

    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"]["message"].startswith("The field callbackUri is invalid")


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, "MissingApiVersionParameter"), ({"api-version": "2021-04-15-preview1"}, "Unsupported")],
)
def test_the_api_version_is_required_and_must_be_ga(
    acs: httpx.Client, receiver: Receiver, params: dict[str, str], code: str
) -> None:
    response = acs.post(CONNECTIONS, params=params, json=ga_call_body(receiver.url))

    assert response.status_code == 400
    assert response.json()["error"]["code"].startswith(code)
    assert calls_in_emulator(acs) == 0


@pytest.mark.parametrize("version", ["2023-03-06", "2025-05-15", GA_VERSION])
def test_every_ga_version_of_the_sdk_is_accepted(
    acs: httpx.Client, receiver: Receiver, version: str
) -> None:
    response = acs.post(
        CONNECTIONS, params={"api-version": version}, json=ga_call_body(receiver.url)
    )

    assert response.status_code == 201


def test_a_bad_signature_is_401_in_the_ga_error_shape(
    emulator_url: str, receiver: Receiver, control: httpx.Client
) -> None:
    wrong = HmacAuth("d3Jvbmcta2V5")
    with httpx.Client(base_url=emulator_url, auth=wrong) as client:
        response = client.post(CONNECTIONS, params=Q, json=ga_call_body(receiver.url))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"
    assert calls_in_emulator(control) == 0


def test_bad_json_is_a_400(acs: httpx.Client) -> None:
    response = acs.post(CONNECTIONS, params=Q, content=b"{not json")

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("method", "verb"),
    [("GET", ""), ("DELETE", ""), ("POST", ":play"), ("POST", "/participants:add")],
)
def test_an_unknown_call_is_404(acs: httpx.Client, method: str, verb: str) -> None:
    response = acs.request(method, f"{CONNECTIONS}/{uuid.uuid4()}{verb}", params=Q, json={})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"


def test_a_2021_call_is_not_a_call_connection(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = place_call(acs, call_body(receiver.url))

    assert acs.get(f"{CONNECTIONS}/{call_leg_id}", params=Q).status_code == 404


def test_terminate_is_204_then_the_call_is_404(acs: httpx.Client, receiver: Receiver) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))

    assert action(acs, call_id, ":terminate").status_code == 204
    receiver.wait_for(call_id, "CallDisconnected")

    assert acs.get(f"{CONNECTIONS}/{call_id}", params=Q).status_code == 404
    assert action(acs, call_id, ":play", {"playSources": []}).status_code == 404


def test_hang_up_is_204_and_ends_the_call(acs: httpx.Client, receiver: Receiver) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))

    assert acs.delete(f"{CONNECTIONS}/{call_id}", params=Q).status_code == 204

    receiver.wait_for(call_id, "CallDisconnected")


def test_actions_before_the_call_connects_are_refused(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"answerAfterMs": 100_000})
    call_id = create_ga_call(acs, ga_call_body(receiver.url))

    response = action(acs, call_id, ":cancelAllMediaOperations")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "8501"


def test_participants_add_list_mute_and_remove(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    add = {"participantToAdd": phone(COLLEAGUE), "operationContext": "bridge"}

    added = action(acs, call_id, "/participants:add", add)
    assert added.status_code == 202
    body = added.json()
    assert body["participant"]["identifier"]["rawId"] == f"4:{COLLEAGUE}"
    assert body["operationContext"] == "bridge" and body["invitationId"]
    event = receiver.wait_for(call_id, "AddParticipantSucceeded")
    assert event["data"]["operationContext"] == "bridge"

    listed = acs.get(f"{CONNECTIONS}/{call_id}/participants", params=Q)
    assert listed.status_code == 200
    raw_ids = {p["identifier"]["rawId"] for p in listed.json()["value"]}
    assert {f"4:{CALLEE}", f"4:{COLLEAGUE}"} <= raw_ids
    assert listed.json()["nextLink"] is None
    one = acs.get(f"{CONNECTIONS}/{call_id}/participants/4:{COLLEAGUE}", params=Q)
    assert one.status_code == 200 and one.json()["isMuted"] is False

    muted = action(acs, call_id, "/participants:mute", {"targetParticipants": [phone(COLLEAGUE)]})
    assert muted.status_code == 200
    receiver.wait_for(
        call_id,
        "ParticipantsUpdated",
        lambda d: any(p["isMuted"] for p in d["participants"]),
    )

    remove = {"participantToRemove": phone(COLLEAGUE), "operationContext": "bye"}
    removed = action(acs, call_id, "/participants:remove", remove)
    assert removed.status_code == 202 and removed.json() == {"operationContext": "bye"}
    event = receiver.wait_for(call_id, "RemoveParticipantSucceeded")
    assert event["data"]["participant"]["rawId"] == f"4:{COLLEAGUE}"
    assert event["data"]["operationContext"] == "bye"


def test_an_add_that_is_not_answered_fails(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    control.put(f"/emulator/behaviours/{COLLEAGUE}", json={"outcome": "busy"})
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))

    action(acs, call_id, "/participants:add", {"participantToAdd": phone(COLLEAGUE)})

    event = receiver.wait_for(call_id, "AddParticipantFailed")
    assert event["data"]["resultInformation"]["code"] == 486
    assert event["data"]["resultInformation"]["sipDetails"] == {
        "code": 486,
        "message": "The participant is busy.",
    }


def test_removing_someone_not_in_the_call_is_404(acs: httpx.Client, receiver: Receiver) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))

    response = action(
        acs, call_id, "/participants:remove", {"participantToRemove": phone(COLLEAGUE)}
    )

    assert response.status_code == 404


def repeat_headers(request_id: str | None = None) -> dict[str, str]:
    return {
        "Repeatability-Request-ID": request_id or str(uuid.uuid4()),
        "Repeatability-First-Sent": rfc1123(datetime.now(UTC)),
    }


def test_a_repeated_create_call_places_one_call(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    headers = repeat_headers()
    body = ga_call_body(receiver.url)

    first = acs.post(CONNECTIONS, params=Q, json=body, headers=headers)
    second = acs.post(CONNECTIONS, params=Q, json=body, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Repeatability-Result"] == "accepted"
    assert calls_in_emulator(control) == 1


def test_a_repeated_terminate_is_answered_again_after_the_call_ended(
    acs: httpx.Client, receiver: Receiver
) -> None:
    headers = repeat_headers()
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    assert (
        acs.post(f"{CONNECTIONS}/{call_id}:terminate", params=Q, headers=headers).status_code == 204
    )

    again = acs.post(f"{CONNECTIONS}/{call_id}:terminate", params=Q, headers=headers)
    other = acs.post(CONNECTIONS, params=Q, json=ga_call_body(receiver.url), headers=headers)

    assert again.status_code == 204
    assert other.status_code == 400  # the same id on another operation
    receiver.wait_for(call_id, "CallDisconnected")
    assert types_of(receiver, call_id).count("CallDisconnected") == 1


def test_wrong_repeatability_headers_are_400(acs: httpx.Client, receiver: Receiver) -> None:
    headers = {"Repeatability-Request-ID": "not-a-guid", "Repeatability-First-Sent": "x"}

    response = acs.post(CONNECTIONS, params=Q, json=ga_call_body(receiver.url), headers=headers)

    assert response.status_code == 400
    assert "error" in response.json()
