"""The GA client on the wire, media: playing files and text, cancelling, recognizing DTMF
and continuous DTMF, and the option ranges it refuses before sending."""

from typing import Any

import httpx
import pytest

from calls.provider_types import FileSource, MediaOperation, OperationStatus, TextSource
from tests.calls.ga_client import CALL, CONNECTION, PHONE, USER, VERSION, body_of, make_client

pytestmark = pytest.mark.dialect("ga")


def test_play_a_file_to_everyone() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    operation = client.play_audio(
        CALL,
        audio_url="https://app.example/p.wav",
        loop=True,
        operation_context="play-1",
        audio_id="prompt-3",
    )
    assert operation == MediaOperation(None, OperationStatus.UNKNOWN, "play-1")
    assert str(provider.last.url) == f"{CONNECTION}:play?api-version={VERSION}"
    assert body_of(provider.last) == {
        "playSources": [
            {
                "kind": "file",
                "file": {"uri": "https://app.example/p.wav"},
                "playSourceCacheId": "prompt-3",
            }
        ],
        "playOptions": {"loop": True},
        "operationContext": "play-1",
    }


def test_play_text_to_one_participant() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    source = TextSource("Press 1", source_locale="en-GB", voice_name="en-GB-SoniaNeural")
    client.play(CALL, source=source, to=["+15550100"], operation_context="tts-1")
    assert body_of(provider.last) == {
        "playSources": [
            {
                "kind": "text",
                "text": {
                    "text": "Press 1",
                    "sourceLocale": "en-GB",
                    "voiceName": "en-GB-SoniaNeural",
                },
            }
        ],
        "playTo": [PHONE],
        "playOptions": {"loop": False},
        "operationContext": "tts-1",
    }


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_a_text_source_must_have_1_to_4000_characters(text: str) -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(ValueError, match="4000"):
        client.play(CALL, source=TextSource(text), operation_context="tts")
    assert provider.requests == []


def test_cancel_all_media_has_no_body() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    operation = client.cancel_media(CALL, operation_context="cancel-1")
    assert operation.operation_context == "cancel-1"
    assert str(provider.last.url) == f"{CONNECTION}:cancelAllMediaOperations?api-version={VERSION}"
    assert provider.last.content == b""


def test_recognize_dtmf_with_a_file_prompt() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    client.recognize_dtmf(
        CALL,
        target="+15550100",
        prompt=FileSource("https://app.example/menu.wav"),
        operation_context="menu",
        max_tones=1,
        stop_tones=["#", "*"],
        initial_silence_timeout=10,
        inter_tone_timeout=3,
    )
    assert str(provider.last.url) == f"{CONNECTION}:recognize?api-version={VERSION}"
    assert body_of(provider.last) == {
        "recognizeInputType": "dtmf",
        "recognizeOptions": {
            "targetParticipant": PHONE,
            "interruptPrompt": True,
            "initialSilenceTimeoutInSeconds": 10,
            "dtmfOptions": {
                "maxTonesToCollect": 1,
                "interToneTimeoutInSeconds": 3,
                "stopTones": ["pound", "asterisk"],
            },
        },
        "operationContext": "menu",
        "playPrompt": {"kind": "file", "file": {"uri": "https://app.example/menu.wav"}},
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_tones": 0},
        {"initial_silence_timeout": 301},
        {"inter_tone_timeout": 0},
        {"stop_tones": ["x"]},
    ],
)
def test_recognize_refuses_out_of_range_options(overrides: dict[str, Any]) -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(ValueError):
        client.recognize_dtmf(
            CALL, target="+15550100", prompt=None, operation_context="menu", **overrides
        )
    assert provider.requests == []


@pytest.mark.parametrize("verb", ["start", "stop"])
def test_continuous_dtmf_names_the_participant(verb: str) -> None:
    client, provider, _ = make_client(httpx.Response(200))
    operation = getattr(client, f"{verb}_continuous_dtmf")
    operation(CALL, target="8:acs:bob", operation_context="keys:7")
    assert str(provider.last.url) == (
        f"{CONNECTION}:{verb}ContinuousDtmfRecognition?api-version={VERSION}"
    )
    assert body_of(provider.last) == {"targetParticipant": USER, "operationContext": "keys:7"}
