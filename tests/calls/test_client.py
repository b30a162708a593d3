import base64
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from calls.client import CallAutomationClient, HmacAuth
from calls.provider_types import (
    CallLeg,
    InvalidIdentifier,
    MediaOperation,
    OperationStatus,
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnauthorized,
    ProviderUnavailable,
    ProviderUnreachable,
)
from calls.retry_policy import NO_RETRY, RetryPolicy
from calls.signing import ConnectionStringError, compute_signature, content_hash

pytestmark = pytest.mark.dialect("preview")

CONNECTION_STRING = "endpoint=https://contoso.communication.azure.com/;accesskey=pw=="
KEY = base64.b64decode("pw==")
BASE = "https://contoso.communication.azure.com"
QUERY = "?api-version=2021-04-15-preview1"
NOW = datetime(2022, 4, 13, 18, 9, 12, tzinfo=UTC)
NOW_HTTP = "Wed, 13 Apr 2022 18:09:12 GMT"
CALL = "411f0b00-0b5b-4a3b-8a42-6e2f4f7b9d10"
REQUEST_ID = uuid.UUID("9d3c2ef0-4d2b-4bd6-9a7e-1f0a5b6c7d8e")
FIRST_SENT = datetime(2022, 4, 13, 18, 9, 0, tzinfo=UTC)

Reply = httpx.Response | type[httpx.TransportError]


@dataclass
class FakeProvider:
    """Answers with queued replies (the last one repeats) and records what it was sent."""

    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)
    closed: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, httpx.Response):
            return reply
        raise reply("simulated", request=request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def make_client(
    *replies: Reply, retry: RetryPolicy | None = None, **options: Any
) -> tuple[CallAutomationClient, FakeProvider, list[float]]:
    provider = FakeProvider(list(replies))
    sleeps: list[float] = []
    client = CallAutomationClient(
        CONNECTION_STRING,
        transport=httpx.MockTransport(provider),
        sleep=sleeps.append,
        retry=retry or RetryPolicy(),
        **options,
    )
    return client, provider, sleeps


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def create_call(client: CallAutomationClient, **overrides: Any) -> CallLeg:
    arguments: dict[str, Any] = {
        "source": "8:acs:app",
        "targets": ["+15550100", "8:acs:alice"],
        "callback_url": "https://app.example/calls/callback?secret=s",
        "subject": "Incident 7",
        "caller_id": "+15550199",
        "subscribe_participants": True,
        "subscribe_tones": True,
        "request_id": REQUEST_ID,
        "first_sent": FIRST_SENT,
    }
    return client.create_call(**(arguments | overrides))


def accepted_operation(status: str = "notStarted", context: str = "play-1") -> httpx.Response:
    return httpx.Response(
        202,
        json={"id": "op-1", "status": status, "operationContext": context, "resultInfo": None},
    )


def expected_authorization(request: httpx.Request, host: str) -> str:
    signed = (
        f"{request.method}\n{request.url.raw_path.decode()}\n"
        f"{NOW_HTTP};{host};{content_hash(request.content)}"
    )
    return (
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256"
        f"&Signature={compute_signature(KEY, signed)}"
    )


# --- Requests on the wire --------------------------------------------------------------------


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


def test_hang_up_posts_to_the_call_legs_hangup() -> None:
    client, provider, _ = make_client(httpx.Response(202))

    client.hang_up(CALL)

    request = provider.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/calling/calls/{CALL}/Hangup{QUERY}"
    assert request.content == b""
    assert request.headers["x-ms-content-sha256"] == content_hash(b"")


def test_play_audio_sends_the_file_and_returns_the_operation() -> None:
    client, provider, _ = make_client(accepted_operation("notStarted"))

    operation = client.play_audio(
        CALL,
        audio_url="https://app.example/media/alert.wav",
        loop=True,
        operation_context="play-1",
        audio_id="alert-v1",
    )

    request = provider.last
    assert str(request.url) == f"{BASE}/calling/calls/{CALL}/PlayAudio{QUERY}"
    assert body_of(request) == {
        "audioFileUri": "https://app.example/media/alert.wav",
        "loop": True,
        "operationContext": "play-1",
        "resourceId": "alert-v1",
    }
    assert operation == MediaOperation(
        operation_id="op-1", status=OperationStatus.NOT_STARTED, operation_context="play-1"
    )


def test_play_audio_leaves_out_resource_id_when_not_given() -> None:
    client, provider, _ = make_client(accepted_operation("Running"))

    operation = client.play_audio(
        CALL, audio_url="https://app.example/a.wav", loop=False, operation_context="play-1"
    )

    assert "resourceId" not in body_of(provider.last)
    assert operation.status == OperationStatus.RUNNING


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (httpx.Response(202), MediaOperation(None, OperationStatus.UNKNOWN, "play-1")),
        (
            httpx.Response(202, json={"operationId": "op-9", "status": "someNewStatus"}),
            MediaOperation("op-9", OperationStatus.UNKNOWN, "play-1"),
        ),
        (
            httpx.Response(202, json={"id": 5, "status": 1, "operationContext": ""}),
            MediaOperation(None, OperationStatus.UNKNOWN, "play-1"),
        ),
    ],
)
def test_an_accepted_play_with_an_odd_body_still_succeeds(
    reply: httpx.Response, expected: MediaOperation
) -> None:
    client, _, _ = make_client(reply)

    operation = client.play_audio(
        CALL, audio_url="https://app.example/a.wav", loop=False, operation_context="play-1"
    )

    assert operation == expected


@pytest.mark.parametrize("status", [200, 202])
def test_cancel_media_posts_the_operation_context(status: int) -> None:
    client, provider, _ = make_client(
        httpx.Response(status, json={"id": "op-2", "status": "completed", "resultInfo": None})
    )

    operation = client.cancel_media(CALL, operation_context="cancel-1")

    request = provider.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/calling/calls/{CALL}/CancelMediaProcessing{QUERY}"
    assert body_of(request) == {"operationContext": "cancel-1"}
    assert operation == MediaOperation("op-2", OperationStatus.COMPLETED, "cancel-1")


def test_invite_participants_posts_the_targets() -> None:
    client, provider, _ = make_client(httpx.Response(202))

    client.invite_participants(
        CALL, targets=["+15550101"], operation_context="invite-1", caller_id="+15550199"
    )

    request = provider.last
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/calling/calls/{CALL}/participants{QUERY}"
    assert body_of(request) == {
        "participants": [{"phoneNumber": {"value": "+15550101"}}],
        "operationContext": "invite-1",
        "alternateCallerId": {"phoneNumber": {"value": "+15550199"}},
    }


def test_remove_participant_sends_a_delete() -> None:
    client, provider, _ = make_client(httpx.Response(202))

    client.remove_participant(CALL, "5c3e0c1a-aaaa-bbbb-cccc-000000000001")

    request = provider.last
    assert request.method == "DELETE"
    assert str(request.url) == (
        f"{BASE}/calling/calls/{CALL}/participants/5c3e0c1a-aaaa-bbbb-cccc-000000000001{QUERY}"
    )


def test_ids_are_escaped_into_one_path_segment() -> None:
    client, provider, _ = make_client(httpx.Response(202))

    client.remove_participant("a/b?c", "../x")

    assert provider.last.url.raw_path == (
        b"/calling/calls/a%2Fb%3Fc/participants/..%2Fx" + QUERY.encode()
    )


@pytest.mark.parametrize("call_id", ["", None])
def test_empty_call_ids_are_rejected_before_sending(call_id: Any) -> None:
    client, provider, _ = make_client(httpx.Response(202))

    with pytest.raises(ValueError, match="call_id"):
        client.hang_up(call_id)

    assert provider.requests == []


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


# --- Signing through httpx ---------------------------------------------------------------


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


# --- Errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "code", "message"),
    [
        (
            httpx.Response(400, json={"code": "InvalidRequest", "message": "targets missing"}),
            "InvalidRequest",
            "targets missing",
        ),
        (
            httpx.Response(400, json={"error": {"code": "8501", "message": "not established"}}),
            "8501",
            "not established",
        ),
        (httpx.Response(400, json={"Code": 8523, "Message": "Bad"}), "8523", "Bad"),
        (
            httpx.Response(400, text="<html>Bad Gateway-ish</html>"),
            None,
            "<html>Bad Gateway-ish</html>",
        ),
        (httpx.Response(400), None, "Bad Request"),
        (httpx.Response(400, json={"error": "oops"}), None, "Bad Request"),
        (httpx.Response(400, json={"code": True, "message": ""}), None, "Bad Request"),
    ],
)
def test_error_bodies_in_both_shapes_and_none(
    reply: httpx.Response, code: str | None, message: str
) -> None:
    client, _, _ = make_client(reply)

    with pytest.raises(ProviderRejected) as caught:
        client.hang_up(CALL)

    error = caught.value
    assert (error.operation, error.status, error.code, error.message) == (
        "hang_up",
        400,
        code,
        message,
    )
    assert str(error).startswith("hang_up: HTTP 400")


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, ProviderRejected),
        (409, ProviderRejected),
        (401, ProviderUnauthorized),
        (403, ProviderUnauthorized),
        (404, ProviderNotFound),
        (408, ProviderUnavailable),
        (429, ProviderThrottled),
        (500, ProviderUnavailable),
        (503, ProviderUnavailable),
        (302, ProviderProtocolError),
    ],
)
def test_statuses_map_to_typed_errors(status: int, error_class: type[ProviderError]) -> None:
    client, _, _ = make_client(httpx.Response(status), retry=NO_RETRY)

    with pytest.raises(error_class) as caught:
        client.hang_up(CALL)

    assert type(caught.value) is error_class
    assert caught.value.status == status
    assert caught.value.retryable == issubclass(error_class, ProviderUnavailable)


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [
        (httpx.ConnectError, ProviderUnreachable),
        (httpx.ConnectTimeout, ProviderUnreachable),
        (httpx.PoolTimeout, ProviderUnreachable),
        (httpx.ReadTimeout, ProviderUnavailable),
        (httpx.WriteTimeout, ProviderUnavailable),
        (httpx.RemoteProtocolError, ProviderUnavailable),
    ],
)
def test_transport_failures_map_to_typed_errors(
    failure: type[httpx.TransportError], error_class: type[ProviderError]
) -> None:
    client, _, _ = make_client(failure, retry=NO_RETRY)

    with pytest.raises(error_class) as caught:
        client.hang_up(CALL)

    assert type(caught.value) is error_class
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, failure)
    assert caught.value.retryable


# --- Retries -----------------------------------------------------------------------------


def test_5xx_is_retried_with_growing_jittered_backoff(caplog: pytest.LogCaptureFixture) -> None:
    client, provider, sleeps = make_client(
        httpx.Response(500), httpx.Response(503), httpx.Response(202)
    )

    with caplog.at_level(logging.WARNING, logger="calls.client"):
        client.hang_up(CALL)

    assert len(provider.requests) == 3
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 1.5
    assert len(caplog.records) == 2
    assert "hang_up: HTTP 500" in caplog.records[0].getMessage()


def test_retries_stop_after_the_policys_attempts() -> None:
    client, provider, sleeps = make_client(httpx.Response(500), retry=RetryPolicy(attempts=4))

    with pytest.raises(ProviderUnavailable):
        client.hang_up(CALL)

    assert len(provider.requests) == 4
    assert len(sleeps) == 3


def test_backoff_is_capped() -> None:
    client, _, sleeps = make_client(
        httpx.Response(500), retry=RetryPolicy(attempts=6, initial_backoff=1.0, max_backoff=3.0)
    )

    with pytest.raises(ProviderUnavailable):
        client.hang_up(CALL)

    assert all(delay <= 3.0 for delay in sleeps)


def test_create_call_retries_with_the_same_repeatability_headers_and_body() -> None:
    client, provider, sleeps = make_client(
        httpx.Response(500),
        httpx.ConnectError,
        httpx.ReadTimeout,
        httpx.Response(201, json={"callLegId": CALL}),
        retry=RetryPolicy(attempts=4),
    )

    leg = create_call(client)

    assert leg.call_id == CALL
    assert len(provider.requests) == 4
    assert len(sleeps) == 3
    assert {r.headers["Repeatability-Request-ID"] for r in provider.requests} == {str(REQUEST_ID)}
    assert {r.headers["Repeatability-First-Sent"] for r in provider.requests} == {
        "Wed, 13 Apr 2022 18:09:00 GMT"
    }
    assert len({r.content for r in provider.requests}) == 1


def test_429_waits_the_retry_after_seconds() -> None:
    client, provider, sleeps = make_client(
        httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(202)
    )

    client.hang_up(CALL)

    assert sleeps == [3.0]
    assert len(provider.requests) == 2


@time_machine.travel(NOW, tick=False)
def test_429_waits_until_a_retry_after_http_date() -> None:
    client, _, sleeps = make_client(
        httpx.Response(429, headers={"Retry-After": "Wed, 13 Apr 2022 18:09:19 GMT"}),
        httpx.Response(202),
    )

    client.hang_up(CALL)

    assert sleeps == [7.0]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Wed, 13 Apr 2022 18:00:00 GMT", 0.0),  # already past
        ("0", 0.0),
        (" 2 ", 2.0),
    ],
)
def test_retry_after_edge_values(header: str, expected: float) -> None:
    client, _, sleeps = make_client(
        httpx.Response(503, headers={"Retry-After": header}), httpx.Response(202)
    )

    client.hang_up(CALL)

    assert sleeps == [expected]


@pytest.mark.parametrize("header", ["soon", "-5", "1.5", "Thu, 99 Foo 2022"])
def test_an_unreadable_retry_after_falls_back_to_backoff(header: str) -> None:
    client, _, sleeps = make_client(
        httpx.Response(429, headers={"Retry-After": header}), httpx.Response(202)
    )

    client.hang_up(CALL)

    assert len(sleeps) == 1
    assert 0.5 <= sleeps[0] <= 1.0


def test_a_retry_after_beyond_the_cap_goes_back_to_the_caller() -> None:
    client, provider, sleeps = make_client(
        httpx.Response(429, headers={"Retry-After": "120"}),
        httpx.Response(202),
        retry=RetryPolicy(max_retry_after=10.0),
    )

    with pytest.raises(ProviderThrottled) as caught:
        client.hang_up(CALL)

    assert caught.value.retry_after == 120.0
    assert sleeps == []
    assert len(provider.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 409])
def test_client_errors_are_not_retried(status: int) -> None:
    client, provider, sleeps = make_client(httpx.Response(status), httpx.Response(202))

    with pytest.raises(ProviderError):
        client.hang_up(CALL)

    assert len(provider.requests) == 1
    assert sleeps == []


def test_create_call_400_is_not_retried() -> None:
    client, provider, _ = make_client(
        httpx.Response(400, json={"code": "InvalidRequest", "message": "bad target"})
    )

    with pytest.raises(ProviderRejected):
        create_call(client)

    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    "operation",
    [
        lambda client: client.hang_up(CALL),
        lambda client: client.play_audio(
            CALL, audio_url="https://app.example/a.wav", loop=False, operation_context="p"
        ),
        lambda client: client.cancel_media(CALL, operation_context="c"),
        lambda client: client.remove_participant(CALL, "p-1"),
    ],
    ids=["hang_up", "play_audio", "cancel_media", "remove_participant"],
)
def test_repeatable_operations_retry_timeouts_and_5xx(
    operation: Callable[[CallAutomationClient], object],
) -> None:
    client, provider, _ = make_client(
        httpx.ReadTimeout, httpx.Response(502), accepted_operation(), retry=RetryPolicy(attempts=3)
    )

    operation(client)

    assert len(provider.requests) == 3


@pytest.mark.parametrize("failure", [httpx.Response(500), httpx.ReadTimeout])
def test_invite_is_not_repeated_when_it_may_have_arrived(failure: Reply) -> None:
    client, provider, sleeps = make_client(failure, httpx.Response(202))

    with pytest.raises(ProviderUnavailable) as caught:
        client.invite_participants(CALL, targets=["+15550101"], operation_context="invite-1")

    assert not isinstance(caught.value, ProviderUnreachable)
    assert len(provider.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError, httpx.ConnectTimeout, httpx.Response(429, headers={"Retry-After": "1"})],
)
def test_invite_is_retried_when_it_certainly_never_arrived(failure: Reply) -> None:
    client, provider, _ = make_client(failure, httpx.Response(202))

    client.invite_participants(CALL, targets=["+15550101"], operation_context="invite-1")

    assert len(provider.requests) == 2
