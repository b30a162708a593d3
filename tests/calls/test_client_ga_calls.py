"""The GA client on the wire, placing and ending calls: create (signed, with its
repeatability pair), hang up and terminate, and what it refuses before sending."""

import uuid
from typing import Any

import httpx
import pytest
import time_machine

from calls.provider_types import CallLeg, InvalidIdentifier, ProviderProtocolError
from calls.retry_policy import RetryPolicy
from calls.signing import content_hash
from tests.calls.client_wire import BASE, FIRST_SENT, NOW, REQUEST_ID, expected_authorization
from tests.calls.ga_client import (
    CALL,
    CONNECTION,
    FIRST_SENT_HTTP,
    PHONE,
    USER,
    VERSION,
    body_of,
    create_call,
    error,
    make_client,
)

pytestmark = pytest.mark.dialect("ga")


def test_create_call_returns_the_apps_own_identity_the_response_names() -> None:
    source = {"rawId": "8:acs:res_app", "communicationUser": {"id": "8:acs:res_app"}}
    body = {"callConnectionId": CALL, "source": source}
    client, _, _ = make_client(httpx.Response(201, json=body))
    assert create_call(client) == CallLeg(call_id=CALL, source="8:acs:res_app")
    client, _, _ = make_client(httpx.Response(201, json={"callConnectionId": CALL, "source": 7}))
    assert create_call(client).source is None  # an odd source: the call was placed anyway


@time_machine.travel(NOW, tick=False)
def test_create_call_posts_to_call_connections_signed_with_repeatability() -> None:
    client, provider, _ = make_client(httpx.Response(201, json={"callConnectionId": CALL}))

    leg = create_call(client)

    request = provider.last
    assert leg == CallLeg(call_id=CALL)
    assert (request.method, str(request.url)) == (
        "POST",
        f"{BASE}/calling/callConnections?api-version={VERSION}",
    )
    assert request.headers["Repeatability-Request-ID"] == str(REQUEST_ID)
    assert request.headers["Repeatability-First-Sent"] == FIRST_SENT_HTTP
    assert request.headers["x-ms-content-sha256"] == content_hash(request.content)
    assert request.headers["Authorization"] == expected_authorization(
        request, "contoso.communication.azure.com"
    )
    assert body_of(request) == {
        "targets": [PHONE],
        "callbackUri": "https://app.example/calls/1/events/s/",
        "sourceCallerIdNumber": {"value": "+15550199"},
    }


def test_create_call_without_a_caller_id_sends_none() -> None:
    client, provider, _ = make_client(httpx.Response(201, json={"callConnectionId": CALL}))
    create_call(client, caller_id=None, targets=["8:acs:bob"])
    assert body_of(provider.last) == {
        "targets": [USER],
        "callbackUri": "https://app.example/calls/1/events/s/",
    }


def test_create_call_retries_a_5xx_with_the_same_repeatability_pair() -> None:
    client, provider, sleeps = make_client(
        error(503), httpx.Response(201, json={"callConnectionId": CALL}), retry=RetryPolicy()
    )
    assert create_call(client) == CallLeg(call_id=CALL)
    first, second = provider.requests
    for name in ("Repeatability-Request-ID", "Repeatability-First-Sent"):
        assert first.headers[name] == second.headers[name]
    assert first.content == second.content
    assert len(sleeps) == 1


def test_create_call_success_without_an_id_is_a_protocol_error() -> None:
    client, _, _ = make_client(httpx.Response(201, json={"callConnectionState": "connecting"}))
    with pytest.raises(ProviderProtocolError, match="callConnectionId"):
        create_call(client)


@pytest.mark.parametrize(
    ("overrides", "raised"),
    [
        ({"targets": ["555-0100"]}, InvalidIdentifier),
        ({"targets": []}, ValueError),
        ({"targets": "+15550100"}, TypeError),
        ({"caller_id": "8:acs:app"}, InvalidIdentifier),
        ({"callback_url": "/relative"}, ValueError),
    ],
)
def test_create_call_refuses_bad_arguments_before_sending(
    overrides: dict[str, Any], raised: type[Exception]
) -> None:
    client, provider, _ = make_client(httpx.Response(201, json={"callConnectionId": CALL}))
    with pytest.raises(raised):
        create_call(client, **overrides)
    assert provider.requests == []


def test_hang_up_deletes_the_connection() -> None:
    client, provider, _ = make_client(httpx.Response(204))
    client.hang_up(CALL)
    assert (provider.last.method, str(provider.last.url)) == (
        "DELETE",
        f"{CONNECTION}?api-version={VERSION}",
    )
    assert provider.last.content == b""


def test_terminate_posts_the_colon_verb_with_the_callers_pair() -> None:
    client, provider, _ = make_client(httpx.Response(204))
    client.terminate_call(CALL, request_id=REQUEST_ID, first_sent=FIRST_SENT)
    request = provider.last
    assert (request.method, str(request.url)) == (
        "POST",
        f"{CONNECTION}:terminate?api-version={VERSION}",
    )
    assert request.headers["Repeatability-Request-ID"] == str(REQUEST_ID)
    assert request.headers["Repeatability-First-Sent"] == FIRST_SENT_HTTP


@time_machine.travel(NOW, tick=False)
def test_without_a_pair_the_client_makes_a_fresh_one_per_request() -> None:
    client, provider, _ = make_client(httpx.Response(204))
    client.terminate_call(CALL)
    client.terminate_call(CALL)
    first, second = provider.requests
    uuid.UUID(first.headers["Repeatability-Request-ID"])
    assert first.headers["Repeatability-Request-ID"] != second.headers["Repeatability-Request-ID"]
    assert first.headers["Repeatability-First-Sent"] == "Wed, 13 Apr 2022 18:09:12 GMT"


def test_half_a_repeatability_pair_is_refused() -> None:
    client, provider, _ = make_client(httpx.Response(204))
    with pytest.raises(ValueError, match="together"):
        client.terminate_call(CALL, request_id=REQUEST_ID)
    assert provider.requests == []
