"""The GA client's failures: error responses by status, throttling and Retry-After, and
the API versions it refuses to speak."""

import httpx
import pytest

from calls.client_ga import GaCallAutomationClient
from calls.provider_types import (
    ProviderError,
    ProviderNotFound,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnauthorized,
    ProviderUnavailable,
)
from calls.retry_policy import RetryPolicy
from tests.calls.client_wire import CONNECTION_STRING
from tests.calls.ga_client import CALL, error, make_client

pytestmark = pytest.mark.dialect("ga")


@pytest.mark.parametrize(
    ("status", "raised"),
    [
        (400, ProviderRejected),
        (401, ProviderUnauthorized),
        (403, ProviderUnauthorized),
        (404, ProviderNotFound),
        (429, ProviderThrottled),
        (500, ProviderUnavailable),
        (502, ProviderUnavailable),
    ],
)
def test_communication_error_responses_map_by_status(
    status: int, raised: type[ProviderError]
) -> None:
    client, _, _ = make_client(error(status, code="8522", message="Call not found"))
    with pytest.raises(raised) as caught:
        client.hang_up(CALL)
    assert type(caught.value) is raised
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        status,
        "8522",
        "Call not found",
    )


def test_throttling_waits_out_retry_after_then_succeeds() -> None:
    client, provider, sleeps = make_client(
        error(429, **{"Retry-After": "2"}), httpx.Response(202), retry=RetryPolicy()
    )
    client.cancel_media(CALL, operation_context="c")
    assert sleeps == [2.0]
    assert len(provider.requests) == 2


def test_a_long_retry_after_goes_to_the_caller() -> None:
    client, provider, _ = make_client(error(429, **{"Retry-After": "60"}), retry=RetryPolicy())
    with pytest.raises(ProviderThrottled) as caught:
        client.play_audio(
            CALL, audio_url="https://a.example/x.wav", loop=False, operation_context="p"
        )
    assert caught.value.retry_after == 60.0
    assert len(provider.requests) == 1


def test_the_ga_client_refuses_the_preview_version() -> None:
    with pytest.raises(ValueError, match="not a GA version"):
        GaCallAutomationClient(CONNECTION_STRING, api_version="2021-04-15-preview1")
    with pytest.raises(ValueError, match="not one the app speaks"):
        GaCallAutomationClient(CONNECTION_STRING, api_version="2030-01-01")
