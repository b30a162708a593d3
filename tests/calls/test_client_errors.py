"""How the 2021 preview client reports failures: error bodies in both shapes, HTTP statuses
and transport failures, each as its typed ProviderError."""

import httpx
import pytest

from calls.provider_types import (
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnauthorized,
    ProviderUnavailable,
    ProviderUnreachable,
)
from calls.retry_policy import NO_RETRY
from tests.calls.preview_client import CALL, make_client

pytestmark = pytest.mark.dialect("preview")


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
