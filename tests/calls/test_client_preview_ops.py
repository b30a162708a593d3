"""The 2021 preview client behind the neutral interface: the operations it maps onto the
preview's, and the ones it refuses before sending anything."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from calls.client import CallAutomationClient
from calls.provider_types import (
    FileSource,
    NotSupportedByDialect,
    TextSource,
    TextSourceNotSupported,
)
from calls.retry_policy import RetryPolicy
from tests.calls.preview_client import CALL, body_of, make_client

pytestmark = pytest.mark.dialect("preview")

Operation = Callable[[CallAutomationClient], Any]
UNSUPPORTED: dict[str, Operation] = {
    "mute_participant": lambda c: c.mute_participant(CALL, "p-1"),
    "recognize_dtmf": lambda c: c.recognize_dtmf(
        CALL, target="+15550100", prompt=None, operation_context="menu"
    ),
    "stop_continuous_dtmf": lambda c: c.stop_continuous_dtmf(
        CALL, target="+15550100", operation_context="k"
    ),
    "get_call": lambda c: c.get_call(CALL),
    "list_participants": lambda c: c.list_participants(CALL),
    "play": lambda c: c.play(
        CALL, source=FileSource("https://a.example/x.wav"), to=["+15550100"], operation_context="p"
    ),
}


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_what_the_preview_lacks_is_refused_before_sending(name: str) -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(NotSupportedByDialect, match="not supported by the 2021-04-15-preview1"):
        UNSUPPORTED[name](client)
    assert provider.requests == []


def test_a_text_source_is_refused_with_its_own_error() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(TextSourceNotSupported, match="Text-to-speech"):
        client.play(CALL, source=TextSource("Hello"), operation_context="tts")
    assert provider.requests == []


def test_terminating_for_everyone_is_the_previews_hang_up() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    client.terminate_call(CALL)
    assert (provider.last.method, provider.last.url.path) == (
        "POST",
        f"/calling/calls/{CALL}/Hangup",
    )


def test_a_file_to_everyone_is_play_audio() -> None:
    client, provider, _ = make_client(httpx.Response(202, json={"status": "running"}))
    source = FileSource("https://a.example/x.wav", cache_id="prompt-1")
    client.play(CALL, source=source, loop=True, operation_context="p")
    assert provider.last.url.path == f"/calling/calls/{CALL}/PlayAudio"
    assert body_of(provider.last) == {
        "audioFileUri": "https://a.example/x.wav",
        "loop": True,
        "operationContext": "p",
        "resourceId": "prompt-1",
    }


def test_add_participant_is_an_invitation_of_one() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    client.add_participant(
        CALL, target="+15550100", operation_context="invite:1", invitation_timeout=30
    )
    assert provider.last.url.path == f"/calling/calls/{CALL}/participants"
    assert body_of(provider.last) == {
        "participants": [{"phoneNumber": {"value": "+15550100"}}],
        "operationContext": "invite:1",
    }
    assert "Repeatability-Request-ID" not in provider.last.headers


def test_add_participant_with_a_pair_sends_it_on_every_try_and_retries_transient_failures() -> None:
    request_id, first_sent = uuid.uuid4(), datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    client, provider, _ = make_client(
        httpx.ReadTimeout, httpx.Response(503), httpx.Response(202), retry=RetryPolicy(attempts=3)
    )
    client.add_participant(
        CALL,
        target="+15550100",
        operation_context="invite:1",
        request_id=request_id,
        first_sent=first_sent,
    )
    assert len(provider.requests) == 3
    assert {r.headers["Repeatability-Request-ID"] for r in provider.requests} == {str(request_id)}
    assert {r.headers["Repeatability-First-Sent"] for r in provider.requests} == {
        "Thu, 03 Dec 2026 10:00:00 GMT"
    }


def test_add_participant_refuses_half_a_pair() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(ValueError, match="together"):
        client.add_participant(
            CALL, target="+15550100", operation_context="invite:1", request_id=uuid.uuid4()
        )
    assert provider.requests == []


def test_remove_participant_ignores_what_the_preview_cannot_send() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    client.remove_participant(CALL, "p-1", operation_context="remove:1")
    assert (provider.last.method, provider.last.url.path) == (
        "DELETE",
        f"/calling/calls/{CALL}/participants/p-1",
    )


def test_starting_continuous_dtmf_sends_nothing_as_the_preview_reports_keys_anyway() -> None:
    client, provider, _ = make_client(httpx.Response(500))
    client.start_continuous_dtmf(CALL, target="+15550100", operation_context="keys:1")
    assert provider.requests == []
