"""What every request of the 2021 preview client carries and where it goes: timeouts, the
endpoint from the connection string, the transport's lifetime, and the HMAC signature."""

from datetime import timedelta

import httpx
import pytest
import time_machine

from calls.client import CallAutomationClient, HmacAuth
from calls.signing import ConnectionStringError
from tests.calls.client_wire import (
    CONNECTION_STRING,
    KEY,
    NOW,
    NOW_HTTP,
    FakeProvider,
    expected_authorization,
)
from tests.calls.preview_client import CALL, QUERY, make_client

pytestmark = pytest.mark.dialect("preview")


def test_every_request_carries_timeouts() -> None:
    client, provider, _ = make_client(httpx.Response(202), timeout=7.0, connect_timeout=2.0)

    client.hang_up(CALL)

    assert provider.last.extensions["timeout"] == {
        "connect": 2.0,
        "read": 7.0,
        "write": 7.0,
        "pool": 7.0,
    }


@time_machine.travel(NOW, tick=False)
def test_endpoint_port_and_path_prefix_are_kept_and_signed() -> None:
    provider = FakeProvider([httpx.Response(202)])
    client = CallAutomationClient(
        "endpoint=http://127.0.0.1:8100/acs-emulator/;accesskey=pw==",
        transport=httpx.MockTransport(provider),
    )

    client.hang_up(CALL)

    request = provider.last
    assert (
        str(request.url) == f"http://127.0.0.1:8100/acs-emulator/calling/calls/{CALL}/Hangup{QUERY}"
    )
    assert request.headers["Authorization"] == expected_authorization(request, "127.0.0.1:8100")


def test_a_bad_connection_string_fails_at_construction() -> None:
    with pytest.raises(ConnectionStringError):
        CallAutomationClient("endpoint=https://h")


def test_closing_the_client_closes_its_transport() -> None:
    closed: list[bool] = []

    class Transport(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    with CallAutomationClient(
        CONNECTION_STRING, transport=Transport(lambda request: httpx.Response(202))
    ) as client:
        client.hang_up(CALL)

    assert closed == [True]


# --- Signing through httpx ------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("path", "signature"),
    [
        ("/", "88MDmJhUR3m5QhFxb8ztShsSwlGrg7g/6XPnWf7QEO4="),
        ("/testPath", "RoCrHjw7fb9fpHSbqvRUY2xa8RBS0YvI1cxI1x8AS38="),
        ("/testPath?testQuery=yes", "il99+rd6V5O136roX/zVePCNle78HmvC4B7tu9zRH3I="),
    ],
)
def test_hmac_auth_matches_microsoft_vectors(path: str, signature: str) -> None:
    request = httpx.Request("GET", f"https://contoso.communicationservices.azure.com{path}")

    signed = next(HmacAuth(KEY).auth_flow(request))

    assert signed.headers["x-ms-date"] == NOW_HTTP
    assert signed.headers["Authorization"].endswith(f"&Signature={signature}")


@time_machine.travel(NOW, tick=False)
def test_hmac_auth_signs_the_exact_body_bytes() -> None:
    body = (
        b'{"callbackUri":"https://app.example/cb",'
        b'"targets":[{"phoneNumber":{"value":"+15550100"}}]}'
    )
    request = httpx.Request(
        "POST",
        "https://contoso.communication.azure.com/calling/callConnections?api-version=2024-09-15",
        content=body,
    )

    signed = next(HmacAuth(KEY).auth_flow(request))

    assert signed.headers["x-ms-content-sha256"] == "woBvojO4qG6r8yxacoaMU4kTLOPaiP2hBJdyJ6iVxVA="
    assert signed.headers["Authorization"].endswith(
        "&Signature=fTjPcAxJE0ySwJbsmFz7bYskpgOoedBdH/gg8DhHfgc="
    )


def test_each_attempt_is_signed_with_a_fresh_date() -> None:
    provider = FakeProvider(
        [httpx.Response(503, headers={"Retry-After": "3"}), httpx.Response(202)]
    )
    slept: list[float] = []
    client = CallAutomationClient(
        CONNECTION_STRING,
        transport=httpx.MockTransport(provider),
        sleep=slept.append,
        clock=lambda: NOW + timedelta(seconds=sum(slept)),
    )

    client.hang_up(CALL)

    dates = [request.headers["x-ms-date"] for request in provider.requests]
    assert dates == [NOW_HTTP, "Wed, 13 Apr 2022 18:09:15 GMT"]
