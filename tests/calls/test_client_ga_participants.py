"""The GA client on the wire, participants and the call's state: add, invite, remove,
mute, get the call, and list participants page by page."""

from typing import Any

import httpx
import pytest

from calls.client_ga import GaCallAutomationClient
from calls.provider_types import CallInfo, InvalidIdentifier, ParticipantInfo, ProviderProtocolError
from calls.retry_policy import NO_RETRY
from tests.calls.client_wire import FIRST_SENT, REQUEST_ID, FakeProvider
from tests.calls.ga_client import (
    CALL,
    CONNECTION,
    FIRST_SENT_HTTP,
    PHONE,
    USER,
    VERSION,
    body_of,
    make_client,
)

pytestmark = pytest.mark.dialect("ga")


def test_add_participant_with_caller_id_timeout_and_pair() -> None:
    client, provider, _ = make_client(httpx.Response(202, json={"invitationId": "inv-1"}))
    client.add_participant(
        CALL,
        target="+15550100",
        operation_context="invite:1",
        caller_id="+15550199",
        invitation_timeout=45,
        request_id=REQUEST_ID,
        first_sent=FIRST_SENT,
    )
    request = provider.last
    assert str(request.url) == f"{CONNECTION}/participants:add?api-version={VERSION}"
    assert request.headers["Repeatability-Request-ID"] == str(REQUEST_ID)
    assert body_of(request) == {
        "participantToAdd": PHONE,
        "operationContext": "invite:1",
        "sourceCallerIdNumber": {"value": "+15550199"},
        "invitationTimeoutInSeconds": 45,
    }


def test_invite_participants_adds_each_after_checking_all() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(InvalidIdentifier):
        client.invite_participants(CALL, targets=["+15550100", "bad"], operation_context="i")
    assert provider.requests == []

    client.invite_participants(CALL, targets=["+15550100", "8:acs:bob"], operation_context="i")
    assert [body_of(r)["participantToAdd"] for r in provider.requests] == [PHONE, USER]
    ids = {r.headers["Repeatability-Request-ID"] for r in provider.requests}
    assert len(ids) == 2


@pytest.mark.parametrize("participant_id", ["4:+15550100", "+15550100"])
def test_remove_participant_takes_a_raw_id_or_the_apps_identifier(participant_id: str) -> None:
    client, provider, _ = make_client(httpx.Response(202))
    client.remove_participant(CALL, participant_id, operation_context="remove:1")
    request = provider.last
    assert str(request.url) == f"{CONNECTION}/participants:remove?api-version={VERSION}"
    assert "Repeatability-Request-ID" in request.headers
    assert body_of(request) == {"participantToRemove": PHONE, "operationContext": "remove:1"}


def test_mute_participant() -> None:
    client, provider, _ = make_client(httpx.Response(200, json={"operationContext": None}))
    client.mute_participant(CALL, "8:acs:bob", request_id=REQUEST_ID, first_sent=FIRST_SENT)
    request = provider.last
    assert str(request.url) == f"{CONNECTION}/participants:mute?api-version={VERSION}"
    assert request.headers["Repeatability-First-Sent"] == FIRST_SENT_HTTP
    assert body_of(request) == {"targetParticipants": [USER]}


def test_get_call() -> None:
    properties = {
        "callConnectionId": CALL,
        "callConnectionState": "Connected",
        "serverCallId": "aHR0cHM6Ly8",
        "correlationId": "corr-1",
        "targets": [PHONE],
    }
    client, provider, _ = make_client(httpx.Response(200, json=properties))
    assert client.get_call(CALL) == CallInfo(CALL, "connected", "aHR0cHM6Ly8", "corr-1")
    assert (provider.last.method, str(provider.last.url)) == (
        "GET",
        f"{CONNECTION}?api-version={VERSION}",
    )


def participant(identifier: dict[str, Any], muted: bool = False) -> dict[str, Any]:
    return {"identifier": identifier, "isMuted": muted, "isOnHold": False}


def test_list_participants_follows_next_link_on_the_same_host() -> None:
    next_link = f"{CONNECTION}/participants?api-version={VERSION}&skip=1"
    client, provider, _ = make_client(
        httpx.Response(200, json={"value": [participant(PHONE)], "nextLink": next_link}),
        httpx.Response(200, json={"value": [participant(USER, muted=True)]}),
    )
    assert client.list_participants(CALL) == (
        ParticipantInfo("+15550100", "4:+15550100", is_muted=False, is_on_hold=False),
        ParticipantInfo("8:acs:bob", "8:acs:bob", is_muted=True, is_on_hold=False),
    )
    first, second = provider.requests
    assert str(first.url) == f"{CONNECTION}/participants?api-version={VERSION}"
    assert second.url.params["skip"] == "1"
    assert second.url.params.get_list("api-version") == [VERSION]


@pytest.mark.parametrize(
    "reply",
    [
        {"value": [participant(PHONE)], "nextLink": "https://evil.example/x"},
        {"value": [{"isMuted": False}]},
        {"items": []},
    ],
)
def test_list_participants_refuses_odd_pages(reply: dict[str, Any]) -> None:
    client, provider, _ = make_client(httpx.Response(200, json=reply))
    with pytest.raises(ProviderProtocolError):
        client.list_participants(CALL)
    assert len(provider.requests) == 1


def test_an_endpoint_with_a_path_keeps_it_on_every_page() -> None:
    provider = FakeProvider(
        [
            httpx.Response(
                200,
                json={
                    "value": [],
                    "nextLink": f"https://emu.test/acs-emulator/calling/callConnections/{CALL}/participants?page=2",
                },
            ),
            httpx.Response(200, json={"value": []}),
        ]
    )
    client = GaCallAutomationClient(
        "endpoint=https://emu.test/acs-emulator/;accesskey=cHc=",
        transport=httpx.MockTransport(provider),
        retry=NO_RETRY,
    )
    client.list_participants(CALL)
    assert [r.url.path for r in provider.requests] == [
        f"/acs-emulator/calling/callConnections/{CALL}/participants"
    ] * 2
    assert provider.last.url.params["api-version"] == "2026-03-12"  # the default: the newest
