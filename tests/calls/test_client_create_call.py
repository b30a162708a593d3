"""The 2021 preview client's create_call on the wire: the signed request with its
repeatability headers and body, and what it refuses before sending."""

from datetime import datetime
from typing import Any

import httpx
import pytest
import time_machine

from calls.provider_types import CallLeg, InvalidIdentifier, ProviderProtocolError
from calls.signing import content_hash
from tests.calls.client_wire import BASE, NOW, NOW_HTTP, REQUEST_ID, expected_authorization
from tests.calls.preview_client import CALL, QUERY, body_of, create_call, make_client

pytestmark = pytest.mark.dialect("preview")


@time_machine.travel(NOW, tick=False)
def test_create_call_sends_a_signed_request_with_repeatability_headers() -> None:
    client, provider, _ = make_client(httpx.Response(200, json={"callLegId": CALL}))

    leg = create_call(client)

    request = provider.last
    assert leg == CallLeg(call_id=CALL)
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/calling/calls{QUERY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Repeatability-Request-ID"] == str(REQUEST_ID)
    assert request.headers["Repeatability-First-Sent"] == "Wed, 13 Apr 2022 18:09:00 GMT"
    assert request.headers["x-ms-date"] == NOW_HTTP
    assert request.headers["x-ms-content-sha256"] == content_hash(request.content)
    assert request.headers["Authorization"] == expected_authorization(
        request, "contoso.communication.azure.com"
    )
    assert body_of(request) == {
        "source": {"communicationUser": {"id": "8:acs:app"}},
        "targets": [
            {"phoneNumber": {"value": "+15550100"}},
            {"communicationUser": {"id": "8:acs:alice"}},
        ],
        "subject": "Incident 7",
        "callbackUri": "https://app.example/calls/callback?secret=s",
        "requestedModalities": ["audio"],
        "requestedCallEvents": ["participantsUpdated", "dtmfReceived"],
        "alternateCallerId": {"phoneNumber": {"value": "+15550199"}},
    }


def test_create_call_leaves_out_caller_id_and_unrequested_events() -> None:
    client, provider, _ = make_client(httpx.Response(201, json={"callLegId": CALL}))

    leg = create_call(
        client, caller_id=None, subscribe_participants=False, subscribe_tones=False, subject=""
    )

    body = body_of(provider.last)
    assert leg.call_id == CALL
    assert "alternateCallerId" not in body
    assert body["requestedCallEvents"] == []
    assert body["subject"] == ""


def test_create_call_asks_only_for_the_events_requested() -> None:
    client, provider, _ = make_client(httpx.Response(200, json={"callLegId": CALL}))

    create_call(client, subscribe_participants=False, subscribe_tones=True)

    assert body_of(provider.last)["requestedCallEvents"] == ["dtmfReceived"]


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(200, json={}),
        httpx.Response(200, json={"callLegId": ""}),
        httpx.Response(200, json=["x"]),
        httpx.Response(200, text="OK"),
    ],
)
def test_create_call_without_a_call_leg_id_is_a_protocol_error(reply: httpx.Response) -> None:
    client, provider, _ = make_client(reply)

    with pytest.raises(ProviderProtocolError) as caught:
        create_call(client)

    assert caught.value.status == 200
    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"targets": ["555-0100"]},
        {"targets": ["+0155501"]},
        {"targets": ["4:+15550100"]},
        {"targets": ["acs:alice"]},
        {"targets": ["8:"]},
        {"source": "app"},
        {"caller_id": "8:acs:app"},
        {"caller_id": "15550199"},
    ],
)
def test_create_call_rejects_unknown_identifiers_before_sending(overrides: dict[str, Any]) -> None:
    client, provider, _ = make_client(httpx.Response(200, json={"callLegId": CALL}))

    with pytest.raises(InvalidIdentifier):
        create_call(client, **overrides)

    assert provider.requests == []


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"targets": "+15550100"}, TypeError),
        ({"targets": []}, ValueError),
        ({"callback_url": "/calls/callback"}, ValueError),
        ({"first_sent": datetime(2022, 4, 13, 18, 9)}, ValueError),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_create_call_rejects_bad_arguments_before_sending(
    overrides: dict[str, Any], error: type[Exception]
) -> None:
    client, provider, _ = make_client(httpx.Response(200, json={"callLegId": CALL}))

    with pytest.raises(error):
        create_call(client, **overrides)

    assert provider.requests == []
