"""The 2021 preview client's operations on a call on the wire: hang up, play and cancel
media, invite and remove participants, and the call ids in their paths."""

from typing import Any

import httpx
import pytest

from calls.provider_types import MediaOperation, OperationStatus
from calls.signing import content_hash
from tests.calls.client_wire import BASE
from tests.calls.preview_client import CALL, QUERY, accepted_operation, body_of, make_client

pytestmark = pytest.mark.dialect("preview")


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
