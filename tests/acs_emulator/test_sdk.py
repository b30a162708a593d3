"""Microsoft's own SDK (azure-communication-callautomation 1.6) drives `python -m acs_emulator`.

The SDK is used as it is shipped: `from_connection_string` with the emulator's endpoint and key,
plus azure-core's public `connection_verify` option to trust the emulator's test certificate (the
SDK always speaks HTTPS to a connection string's endpoint, as the storage SDKs do to Azurite).
Callbacks arrive at a small local server; each one's JWT is checked against the keys that the
emulator's OpenID configuration names.
"""

import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.communication.callautomation import (
    CallAutomationClient,
    FileSource,
    PhoneNumberIdentifier,
    RecognizeInputType,
)
from azure.core.exceptions import HttpResponseError
from azure.core.messaging import CloudEvent

from acs_emulator import EMULATOR_RESOURCE_ID
from tests.acs_emulator.ga import self_signed_certificate, verify_jwt
from tests.acs_emulator.scenarios import ACCESS_KEY, CALLER_ID, wav_bytes
from tests.acs_emulator.servers import Receiver, ServerThread
from tests.acs_emulator.test_main import PROJECT, free_port

pytestmark = pytest.mark.dialect("ga")

CALLEE = "+14255550123"
COLLEAGUE = "+14255550177"
PROMPT_SECONDS = 0.4
TIME_SCALE = "0.25"


class Emulator:
    def __init__(self, endpoint: str, connection_string: str, certificate: Path) -> None:
        self.endpoint = endpoint
        self.connection_string = connection_string
        self.certificate = str(certificate)
        context = ssl.create_default_context(cafile=self.certificate)
        self.control = httpx.Client(base_url=endpoint, verify=context, timeout=10)

    def sdk(self, connection_string: str | None = None) -> CallAutomationClient:
        return CallAutomationClient.from_connection_string(
            connection_string or self.connection_string, connection_verify=self.certificate
        )


@pytest.fixture(scope="module")
def callbacks() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ServerThread(receiver.app()).start()
    receiver.url = server.url
    yield receiver
    server.stop()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    certificate, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    port = free_port()
    command = [sys.executable, "-m", "acs_emulator", "--port", str(port), "--access-key"]
    command += [ACCESS_KEY, "--time-scale", TIME_SCALE, "--log-level", "warning"]
    command += ["--tls-cert", str(certificate), "--tls-key", str(key)]
    # Our own interpreter running our own module, with arguments built above.
    process = subprocess.Popen(  # noqa: S603
        command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        endpoint = f"https://127.0.0.1:{port}"
        assert line == f"endpoint={endpoint}/;accesskey={ACCESS_KEY}"
        emulator = Emulator(endpoint, line, certificate)
        _wait_until_up(emulator.control)
        yield emulator
        emulator.control.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            client.get("/emulator/behaviours").raise_for_status()
            return
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def wait_for_event(
    receiver: Receiver, call_id: str, event_type: str, timeout: float = 10.0
) -> dict[str, Any]:
    """The event's data, once azure-core has parsed the CloudEvent."""
    envelope = receiver.wait_for(call_id, event_type, timeout=timeout)
    event: CloudEvent[Any] = CloudEvent.from_dict(envelope)
    assert event.type == f"Microsoft.Communication.{event_type}"
    data = event.data
    assert isinstance(data, dict)
    assert data["callConnectionId"] == call_id
    return data


def test_the_sdk_runs_a_call_against_the_emulator(emulator: Emulator, callbacks: Receiver) -> None:
    control = emulator.control
    callbacks.files["prompt.wav"] = wav_bytes(PROMPT_SECONDS)
    prompt = FileSource(url=f"{callbacks.url}/audio/prompt.wav")
    # The callee answers, then presses 1 while the recognize prompt plays (or just after it).
    callee = {"answerAfterMs": 300, "tones": "1", "tonesAfterMs": 1200}
    control.put(f"/emulator/behaviours/{CALLEE}", json=callee).raise_for_status()
    control.put(f"/emulator/behaviours/{COLLEAGUE}", json={"answerAfterMs": 300})
    with emulator.sdk() as client:
        _run_scenario(client, callbacks, prompt)
    _every_callback_is_signed_by_the_emulator(emulator, callbacks)


def _run_scenario(client: CallAutomationClient, callbacks: Receiver, prompt: FileSource) -> None:

    created = client.create_call(
        PhoneNumberIdentifier(CALLEE),
        f"{callbacks.url}/callbacks/sdk?token=abc",
        source_caller_id_number=PhoneNumberIdentifier(CALLER_ID),
        operation_context="incident-42",
    )
    call_id = created.call_connection_id
    assert call_id is not None
    assert created.call_connection_state == "connecting"
    connected = wait_for_event(callbacks, call_id, "CallConnected")
    assert connected["operationContext"] == "incident-42"
    call = client.get_call_connection(call_id)
    assert call.get_call_properties().call_connection_state == "connected"

    call.start_recognizing_media(
        RecognizeInputType.DTMF,
        PhoneNumberIdentifier(CALLEE),
        play_prompt=prompt,
        dtmf_max_tones_to_collect=1,
        initial_silence_timeout=10,
        operation_context="ack-menu",
    )
    recognized = wait_for_event(callbacks, call_id, "RecognizeCompleted")
    assert recognized["dtmfResult"]["tones"] == ["one"]
    assert recognized["operationContext"] == "ack-menu"

    call.play_media(prompt, operation_context="thanks")
    wait_for_event(callbacks, call_id, "PlayStarted")
    played = wait_for_event(callbacks, call_id, "PlayCompleted")
    assert played["operationContext"] == "thanks"

    added = call.add_participant(
        PhoneNumberIdentifier(COLLEAGUE), source_caller_id_number=PhoneNumberIdentifier(CALLER_ID)
    )
    assert added.participant is not None
    assert added.participant.identifier is not None
    assert added.participant.identifier.raw_id == f"4:{COLLEAGUE}"
    succeeded = wait_for_event(callbacks, call_id, "AddParticipantSucceeded")
    assert succeeded["participant"]["rawId"] == f"4:{COLLEAGUE}"

    in_call = {p.identifier.raw_id for p in call.list_participants() if p.identifier}
    assert {f"4:{CALLEE}", f"4:{COLLEAGUE}"} <= in_call

    call.remove_participant(PhoneNumberIdentifier(COLLEAGUE))
    wait_for_event(callbacks, call_id, "RemoveParticipantSucceeded")
    call.hang_up(is_for_everyone=True)
    wait_for_event(callbacks, call_id, "CallDisconnected")


def _every_callback_is_signed_by_the_emulator(emulator: Emulator, callbacks: Receiver) -> None:
    openid = emulator.control.get("/calling/.well-known/acsopenidconfiguration").json()
    assert openid["issuer"] == emulator.endpoint
    jwks = emulator.control.get(openid["jwks_uri"]).json()
    with callbacks._lock:
        posts = list(callbacks.posts)
    assert len(posts) >= 9
    for post in posts:
        claims = verify_jwt(post, jwks, emulator.endpoint, EMULATOR_RESOURCE_ID)
        assert claims["exp"] - claims["iat"] == 300


def test_a_wrong_access_key_gets_401(emulator: Emulator, callbacks: Receiver) -> None:
    wrong = emulator.connection_string.replace(ACCESS_KEY, "d3Jvbmcta2V5LXdyb25nLWtleQ==")
    before = len(emulator.control.get("/emulator/calls").json()["calls"])
    with emulator.sdk(wrong) as client, pytest.raises(HttpResponseError) as raised:
        client.create_call(
            PhoneNumberIdentifier(CALLEE),
            f"{callbacks.url}/callbacks/sdk",
            source_caller_id_number=PhoneNumberIdentifier(CALLER_ID),
        )
    assert raised.value.status_code == 401
    assert len(emulator.control.get("/emulator/calls").json()["calls"]) == before
