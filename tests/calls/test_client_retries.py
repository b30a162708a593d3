"""When the 2021 preview client sends a request again: backoff, Retry-After, and which
operations may be repeated after which failures."""

import logging
from collections.abc import Callable

import httpx
import pytest
import time_machine

from calls.client import CallAutomationClient
from calls.provider_types import (
    ProviderError,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnavailable,
    ProviderUnreachable,
)
from calls.retry_policy import RetryPolicy
from tests.calls.client_wire import NOW, REQUEST_ID, Reply
from tests.calls.preview_client import CALL, accepted_operation, create_call, make_client

pytestmark = pytest.mark.dialect("preview")


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
