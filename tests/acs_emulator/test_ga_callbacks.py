"""GA callbacks: CloudEvents envelopes, JWTs and their OpenID configuration, the roster's order,
failed calls, the event-before-response race, and the control API for GA calls."""

import uuid
from datetime import datetime

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from acs_emulator import EMULATOR_RESOURCE_ID, EmulatorConfig
from tests.acs_emulator.conftest import StartEmulator
from tests.acs_emulator.ga import (
    CONNECTIONS,
    Q,
    action,
    connected_ga_call,
    create_ga_call,
    ga_call_body,
    posts_for,
    types_of,
    verify_jwt,
)
from tests.acs_emulator.scenarios import ACCESS_KEY, CALLEE, TIME_SCALE, call_body, phone
from tests.acs_emulator.servers import Receiver
from tests.acs_emulator.signing import HmacAuth

pytestmark = pytest.mark.dialect("ga")

COLLEAGUE = "+14255550177"


def test_every_event_is_a_cloudevent_with_the_common_data(
    acs: httpx.Client, receiver: Receiver
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    acs.post(f"{CONNECTIONS}/{call_id}:terminate", params=Q)
    receiver.wait_for(call_id, "CallDisconnected")

    posts = posts_for(receiver, call_id)
    assert all(isinstance(p.body, list) and len(p.body) == 1 for p in posts)
    assert types_of(receiver, call_id) == [
        "CallConnected",
        "ParticipantsUpdated",
        "CallDisconnected",
    ]
    for event in receiver.events(call_id):
        uuid.UUID(event["id"])
        assert event["source"] == event["subject"] == f"calling/callConnections/{call_id}"
        assert (event["specversion"], event["datacontenttype"]) == ("1.0", "application/json")
        assert datetime.fromisoformat(event["time"]).utcoffset() is not None
        data = event["data"]
        assert data["callConnectionId"] == call_id
        assert data["serverCallId"] and data["correlationId"]
        assert data["resultInformation"]["code"] == 200
    connected, _, disconnected = receiver.events(call_id)
    assert connected["data"]["operationContext"] == "incident-42"
    assert disconnected["data"]["operationContext"] == "incident-42"


def test_roster_updates_are_numbered_and_complete(acs: httpx.Client, receiver: Receiver) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    action(acs, call_id, "/participants:add", {"participantToAdd": phone(COLLEAGUE)})
    receiver.wait_for(call_id, "ParticipantsUpdated", lambda d: d["sequenceNumber"] == 2)

    updates = [e["data"] for e in receiver.events(call_id) if e["type"].endswith("Updated")]
    assert [u["sequenceNumber"] for u in updates] == [1, 2]
    rosters = [{p["identifier"]["rawId"] for p in u["participants"]} for u in updates]
    assert f"4:{CALLEE}" in rosters[0] and f"4:{COLLEAGUE}" not in rosters[0]
    assert {f"4:{CALLEE}", f"4:{COLLEAGUE}"} <= rosters[1]
    assert any(raw.startswith("8:acs:") for raw in rosters[1])  # the app's own leg


def test_each_delivery_carries_a_fresh_jwt_that_the_jwks_verifies(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, emulator_url: str
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    receiver.wait_for(call_id, "ParticipantsUpdated")
    openid = control.get("/calling/.well-known/acsopenidconfiguration").json()
    assert openid["issuer"] == emulator_url
    assert openid["jwks_uri"] == f"{emulator_url}/calling/keys"
    jwks = control.get("/calling/keys").json()

    posts = posts_for(receiver, call_id)
    claims = [verify_jwt(p, jwks, emulator_url, EMULATOR_RESOURCE_ID) for p in posts]
    assert len({p.headers["authorization"] for p in posts}) == len(posts) == 2
    assert all(c["exp"] - c["iat"] == 300 for c in claims)
    with pytest.raises(jwt.InvalidAudienceError):
        verify_jwt(posts[0], jwks, emulator_url, "another-resource")


def test_2021_callbacks_carry_no_jwt(acs: httpx.Client, receiver: Receiver) -> None:
    from tests.acs_emulator.scenarios import established_call

    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    assert all("authorization" not in p.headers for p in posts_for(receiver, call_leg_id))


def test_issuer_audience_and_key_are_configurable(
    start_emulator: StartEmulator, receiver: Receiver
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    config = EmulatorConfig(
        access_key=ACCESS_KEY,
        time_scale=TIME_SCALE,
        jwt_issuer="https://acs.example",
        jwt_audience="11111111-2222-3333-4444-555555555555",
        jwt_private_key_pem=pem,
    )
    url = start_emulator(config, prefix="/acs-emulator")
    with httpx.Client(base_url=url, auth=HmacAuth(ACCESS_KEY)) as client:
        call_id = connected_ga_call(client, receiver, ga_call_body(receiver.url))
        openid = client.get("/calling/.well-known/acsopenidconfiguration").json()
        jwks = client.get("/calling/keys").json()

    assert openid == {**openid, "issuer": "https://acs.example", "jwks_uri": f"{url}/calling/keys"}
    post = posts_for(receiver, call_id)[0]
    token = post.headers["authorization"].removeprefix("Bearer ")
    jwt.decode(
        token,
        key.public_key(),
        algorithms=["RS256"],
        audience="11111111-2222-3333-4444-555555555555",
        issuer="https://acs.example",
    )
    verify_jwt(post, jwks, "https://acs.example", "11111111-2222-3333-4444-555555555555")


@pytest.mark.parametrize(("outcome", "code"), [("busy", 486), ("decline", 603)])
def test_a_call_nobody_answers_reports_create_call_failed(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, outcome: str, code: int
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"outcome": outcome})

    call_id = create_ga_call(acs, ga_call_body(receiver.url))

    receiver.wait_for(call_id, "CallDisconnected")
    assert types_of(receiver, call_id) == ["CreateCallFailed", "CallDisconnected"]
    failed = receiver.events(call_id)[0]["data"]
    assert failed["resultInformation"]["code"] == code
    assert failed["resultInformation"]["sipDetails"]["code"] == code  # busy/declined apart
    assert failed["operationContext"] == "incident-42"


def test_the_callee_hanging_up_disconnects_the_call(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    control.put(f"/emulator/behaviours/{CALLEE}", json={"hangUpAfterMs": 500})

    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))

    receiver.wait_for(call_id, "CallDisconnected")
    ended = control.get("/emulator/calls", params={"view": "summary"}).json()["calls"]
    assert [(c["callLegId"], c["dialect"], c["state"]) for c in ended] == [
        (call_id, "ga", "Terminated")
    ]


def test_the_control_api_hangs_up_for_a_person_on_a_ga_call(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    call = control.get(f"/emulator/calls/{call_id}").json()
    (person,) = [p for p in call["participants"] if p["role"] == "target"]

    path = f"/emulator/calls/{call_id}/participants/{person['participantId']}/hangup"
    control.post(path).raise_for_status()

    receiver.wait_for(call_id, "CallDisconnected")
    events = control.get(f"/emulator/calls/{call_id}").json()["events"]
    assert events[-1]["eventType"] == "Microsoft.Communication.CallDisconnected"


@pytest.mark.parametrize("dialect", ["ga", "2021"])
def test_a_fault_answers_create_call_only_after_its_first_event(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, dialect: str
) -> None:
    event = "CallConnected" if dialect == "ga" else "CallLegStateChanged"
    control.put("/emulator/faults", json={"createResponseAfter": event}).raise_for_status()

    if dialect == "ga":
        call_id = create_ga_call(acs, ga_call_body(receiver.url))
    else:
        response = acs.post("/calling/calls", json=call_body(receiver.url))
        call_id = response.json()["callLegId"]

    # The event was delivered before the response came back.
    assert types_of(receiver, call_id)[0] == event
