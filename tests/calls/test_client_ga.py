"""The GA dialect's client (calls.client_ga) on the wire, faked at the transport."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import time_machine

from calls.client_ga import GaCallAutomationClient
from calls.provider_types import (
    CallInfo,
    CallLeg,
    FileSource,
    InvalidIdentifier,
    MediaOperation,
    OperationStatus,
    ParticipantInfo,
    ProviderError,
    ProviderNotFound,
    ProviderProtocolError,
    ProviderRejected,
    ProviderThrottled,
    ProviderUnauthorized,
    ProviderUnavailable,
    TextSource,
)
from calls.retry_policy import NO_RETRY, RetryPolicy
from calls.signing import content_hash
from tests.calls.test_client import FakeProvider, Reply, expected_authorization

pytestmark = pytest.mark.dialect("ga")

CONNECTION_STRING = "endpoint=https://contoso.communication.azure.com/;accesskey=pw=="
BASE = "https://contoso.communication.azure.com"
VERSION = "2024-09-15"
NOW = datetime(2022, 4, 13, 18, 9, 12, tzinfo=UTC)
CALL = "411f0b00-aaaa-bbbb-cccc-000000000001"
CONNECTION = f"{BASE}/calling/callConnections/{CALL}"
REQUEST_ID = uuid.UUID("9d3c2ef0-4d2b-4bd6-9a7e-1f0a5b6c7d8e")
FIRST_SENT = datetime(2022, 4, 13, 18, 9, 0, tzinfo=UTC)
FIRST_SENT_HTTP = "Wed, 13 Apr 2022 18:09:00 GMT"
PHONE = {"kind": "phoneNumber", "rawId": "4:+15550100", "phoneNumber": {"value": "+15550100"}}
USER = {"kind": "communicationUser", "rawId": "8:acs:bob", "communicationUser": {"id": "8:acs:bob"}}


def make_client(
    *replies: Reply, retry: RetryPolicy = NO_RETRY
) -> tuple[GaCallAutomationClient, FakeProvider, list[float]]:
    provider = FakeProvider(list(replies))
    sleeps: list[float] = []
    client = GaCallAutomationClient(
        CONNECTION_STRING,
        api_version=VERSION,
        transport=httpx.MockTransport(provider),
        sleep=sleeps.append,
        retry=retry,
    )
    return client, provider, sleeps


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def create_call(client: GaCallAutomationClient, **overrides: Any) -> CallLeg:
    arguments: dict[str, Any] = {
        "source": "8:acs:app",
        "targets": ["+15550100"],
        "callback_url": "https://app.example/calls/1/events/s/",
        "subject": "Incident 7",
        "caller_id": "+15550199",
        "subscribe_participants": True,
        "subscribe_tones": True,
        "request_id": REQUEST_ID,
        "first_sent": FIRST_SENT,
    }
    return client.create_call(**(arguments | overrides))


def error(status: int, code: str = "8501", message: str = "Nope", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message}}, headers=headers
    )


# --- Create, hang up, terminate ----------------------------------------------------------


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


# --- Media ----------------------------------------------------------------------------------


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


# --- Participants -------------------------------------------------------------------------


def test_add_participant_with_caller_id_timeout_and_pair() -> None:
    client, provider, _ = make_client(httpx.Response(202, json={"invitationId": "inv-1"}))
    client.add_participant(
        CALL,
        target="+15550100",
        operation_context="invite:1",
        caller_id="+15550199",
        invitation_timeout=45,
        request_id=REQUEST_ID,
        first_sent=FIRST_SENT,
    )
    request = provider.last
    assert str(request.url) == f"{CONNECTION}/participants:add?api-version={VERSION}"
    assert request.headers["Repeatability-Request-ID"] == str(REQUEST_ID)
    assert body_of(request) == {
        "participantToAdd": PHONE,
        "operationContext": "invite:1",
        "sourceCallerIdNumber": {"value": "+15550199"},
        "invitationTimeoutInSeconds": 45,
    }


def test_invite_participants_adds_each_after_checking_all() -> None:
    client, provider, _ = make_client(httpx.Response(202))
    with pytest.raises(InvalidIdentifier):
        client.invite_participants(CALL, targets=["+15550100", "bad"], operation_context="i")
    assert provider.requests == []

    client.invite_participants(CALL, targets=["+15550100", "8:acs:bob"], operation_context="i")
    assert [body_of(r)["participantToAdd"] for r in provider.requests] == [PHONE, USER]
    ids = {r.headers["Repeatability-Request-ID"] for r in provider.requests}
    assert len(ids) == 2


@pytest.mark.parametrize("participant_id", ["4:+15550100", "+15550100"])
def test_remove_participant_takes_a_raw_id_or_the_apps_identifier(participant_id: str) -> None:
    client, provider, _ = make_client(httpx.Response(202))
    client.remove_participant(CALL, participant_id, operation_context="remove:1")
    request = provider.last
    assert str(request.url) == f"{CONNECTION}/participants:remove?api-version={VERSION}"
    assert "Repeatability-Request-ID" in request.headers
    assert body_of(request) == {"participantToRemove": PHONE, "operationContext": "remove:1"}


def test_mute_participant() -> None:
    client, provider, _ = make_client(httpx.Response(200, json={"operationContext": None}))
    client.mute_participant(CALL, "8:acs:bob", request_id=REQUEST_ID, first_sent=FIRST_SENT)
    request = provider.last
    assert str(request.url) == f"{CONNECTION}/participants:mute?api-version={VERSION}"
    assert request.headers["Repeatability-First-Sent"] == FIRST_SENT_HTTP
    assert body_of(request) == {"targetParticipants": [USER]}


def test_get_call() -> None:
    properties = {
        "callConnectionId": CALL,
        "callConnectionState": "Connected",
        "serverCallId": "aHR0cHM6Ly8",
        "correlationId": "corr-1",
        "targets": [PHONE],
    }
    client, provider, _ = make_client(httpx.Response(200, json=properties))
    assert client.get_call(CALL) == CallInfo(CALL, "connected", "aHR0cHM6Ly8", "corr-1")
    assert (provider.last.method, str(provider.last.url)) == (
        "GET",
        f"{CONNECTION}?api-version={VERSION}",
    )


def participant(identifier: dict[str, Any], muted: bool = False) -> dict[str, Any]:
    return {"identifier": identifier, "isMuted": muted, "isOnHold": False}


def test_list_participants_follows_next_link_on_the_same_host() -> None:
    next_link = f"{CONNECTION}/participants?api-version={VERSION}&skip=1"
    client, provider, _ = make_client(
        httpx.Response(200, json={"value": [participant(PHONE)], "nextLink": next_link}),
        httpx.Response(200, json={"value": [participant(USER, muted=True)]}),
    )
    assert client.list_participants(CALL) == (
        ParticipantInfo("+15550100", "4:+15550100", is_muted=False, is_on_hold=False),
        ParticipantInfo("8:acs:bob", "8:acs:bob", is_muted=True, is_on_hold=False),
    )
    first, second = provider.requests
    assert str(first.url) == f"{CONNECTION}/participants?api-version={VERSION}"
    assert second.url.params["skip"] == "1"
    assert second.url.params.get_list("api-version") == [VERSION]


@pytest.mark.parametrize(
    "reply",
    [
        {"value": [participant(PHONE)], "nextLink": "https://evil.example/x"},
        {"value": [{"isMuted": False}]},
        {"items": []},
    ],
)
def test_list_participants_refuses_odd_pages(reply: dict[str, Any]) -> None:
    client, provider, _ = make_client(httpx.Response(200, json=reply))
    with pytest.raises(ProviderProtocolError):
        client.list_participants(CALL)
    assert len(provider.requests) == 1


def test_an_endpoint_with_a_path_keeps_it_on_every_page() -> None:
    provider = FakeProvider(
        [
            httpx.Response(
                200,
                json={
                    "value": [],
                    "nextLink": f"https://emu.test/acs-emulator/calling/callConnections/{CALL}/participants?page=2",
                },
            ),
            httpx.Response(200, json={"value": []}),
        ]
    )
    client = GaCallAutomationClient(
        "endpoint=https://emu.test/acs-emulator/;accesskey=cHc=",
        transport=httpx.MockTransport(provider),
        retry=NO_RETRY,
    )
    client.list_participants(CALL)
    assert [r.url.path for r in provider.requests] == [
        f"/acs-emulator/calling/callConnections/{CALL}/participants"
    ] * 2
    assert provider.last.url.params["api-version"] == "2026-03-12"  # the default: the newest


# --- Errors ---------------------------------------------------------------------------------


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
