"""PlayAudio and CancelMediaProcessing: real WAV files, results, the cancel quirk, failures."""

import re
import time

import httpx
import pytest

from acs_emulator import EmulatorConfig
from tests.acs_emulator.conftest import StartEmulator
from tests.acs_emulator.scenarios import (
    ACCESS_KEY,
    CALLS,
    TIME_SCALE,
    call_body,
    established_call,
    wav_bytes,
)
from tests.acs_emulator.servers import Event, Receiver
from tests.acs_emulator.signing import HmacAuth

pytestmark = pytest.mark.dialect("preview")

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def play(acs: httpx.Client, call_leg_id: str, uri: str, **fields: object) -> httpx.Response:
    body = {"audioFileUri": uri, "operationContext": "prompt-1", **fields}
    return acs.post(f"{CALLS}/{call_leg_id}/PlayAudio", json=body)


def play_results(receiver: Receiver, call_leg_id: str) -> list[Event]:
    return [
        e["data"]
        for e in receiver.events(call_leg_id)
        if e["eventType"] == "Microsoft.Communication.PlayAudioResult"
    ]


def media(control: httpx.Client, call_leg_id: str) -> list[dict[str, object]]:
    result: list[dict[str, object]] = control.get(f"/emulator/calls/{call_leg_id}").json()["media"]
    return result


@pytest.fixture
def prompt(receiver: Receiver) -> str:
    receiver.files["prompt.wav"] = wav_bytes(10.0)
    return f"{receiver.url}/audio/prompt.wav"


def test_play_answers_202_with_a_not_started_operation(
    acs: httpx.Client, receiver: Receiver, prompt: str
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    response = play(acs, call_leg_id, prompt)

    assert response.status_code == 202
    body = response.json()
    assert GUID.match(body.pop("id"))
    assert body == {"status": "notStarted", "operationContext": "prompt-1", "resultInfo": None}


def test_play_completes_after_the_scaled_duration_of_the_file(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, prompt: str
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    started = time.monotonic()

    play(acs, call_leg_id, prompt)

    event = receiver.wait_for(call_leg_id, "PlayAudioResult")
    assert time.monotonic() - started >= 10.0 * TIME_SCALE
    assert event["subject"] == f"callLeg/{call_leg_id}/playAudio"
    assert event["id"] is None
    assert event["data"] == {
        "ResultInfo": {"Code": 200, "Subcode": 0, "Message": "Action completed successfully."},
        "OperationContext": "prompt-1",
        "Status": "Completed",
        "CallLegId": call_leg_id,
    }
    assert media(control, call_leg_id)[0]["durationMs"] == 10_000


@pytest.mark.parametrize("field", ["resourceId", "audioFileId"])
def test_play_accepts_either_name_of_the_audio_cache_id(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, prompt: str, field: str
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    assert play(acs, call_leg_id, prompt, **{field: "incident-prompt"}).status_code == 202
    assert media(control, call_leg_id)[0]["audioFileId"] == "incident-prompt"


def test_cancelled_looping_play_reports_completed_with_code_400_subcode_8508(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, prompt: str
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    play(acs, call_leg_id, prompt, loop=True)
    time.sleep(0.3)  # three times the file's scaled length: a loop must still be running
    assert play_results(receiver, call_leg_id) == []

    response = acs.post(
        f"{CALLS}/{call_leg_id}/CancelMediaProcessing", json={"operationContext": "cancel-1"}
    )

    assert response.status_code == 202
    body = response.json()
    assert GUID.match(body.pop("id"))
    assert body == {"status": "completed", "operationContext": "cancel-1", "resultInfo": None}
    data = receiver.wait_for(call_leg_id, "PlayAudioResult")["data"]
    assert data == {
        "ResultInfo": {
            "Code": 400,
            "Subcode": 8508,
            "Message": "Action failed, the operation was cancelled.",
        },
        "OperationContext": "prompt-1",
        "Status": "Completed",
        "CallLegId": call_leg_id,
    }
    assert media(control, call_leg_id)[0]["status"] == "cancelled"


def test_cancel_with_no_body_is_accepted(acs: httpx.Client, receiver: Receiver) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    response = acs.post(f"{CALLS}/{call_leg_id}/CancelMediaProcessing")

    assert response.status_code == 202
    assert response.json()["operationContext"] is None


def test_plays_run_in_order_and_cancel_reports_the_queued_ones_too(
    acs: httpx.Client, receiver: Receiver, prompt: str
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    play(acs, call_leg_id, prompt, loop=True, operationContext="first")
    play(acs, call_leg_id, prompt, operationContext="second")
    time.sleep(0.2)
    assert play_results(receiver, call_leg_id) == []

    acs.post(f"{CALLS}/{call_leg_id}/CancelMediaProcessing", json={})

    receiver.wait_for(call_leg_id, "PlayAudioResult", lambda d: d["OperationContext"] == "second")
    results = play_results(receiver, call_leg_id)
    assert [(r["OperationContext"], r["ResultInfo"]["Subcode"]) for r in results] == [
        ("first", 8508),
        ("second", 8508),
    ]


def test_hanging_up_stops_a_play_without_a_result(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, prompt: str
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    play(acs, call_leg_id, prompt, loop=True)
    time.sleep(0.05)

    acs.post(f"{CALLS}/{call_leg_id}/Hangup")

    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Terminated")
    assert play_results(receiver, call_leg_id) == []
    assert media(control, call_leg_id)[0]["status"] == "stopped"


BAD_FILES = {
    "not a WAV": b"ID3 this is an mp3, honest",
    "stereo": wav_bytes(0.5, channels=2),
    "8 kHz": wav_bytes(0.5, rate=8_000),
    "8-bit": wav_bytes(0.5, width=1),
}


@pytest.mark.parametrize("data", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_play_of_a_file_in_the_wrong_format_fails_with_8535(
    acs: httpx.Client, control: httpx.Client, receiver: Receiver, data: bytes
) -> None:
    receiver.files["bad.wav"] = data
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    play(acs, call_leg_id, f"{receiver.url}/audio/bad.wav")

    event = receiver.wait_for(call_leg_id, "PlayAudioResult")["data"]
    assert isinstance(event, dict)
    assert event["Status"] == "Failed"
    assert event["ResultInfo"]["Code"] == 400 and event["ResultInfo"]["Subcode"] == 8535
    assert "file format is invalid" in event["ResultInfo"]["Message"]
    assert media(control, call_leg_id)[0]["status"] == "failed"


@pytest.mark.parametrize("path", ["/audio/missing.wav", None], ids=["404", "unreachable"])
def test_play_of_a_file_that_cannot_be_downloaded_fails_with_8536(
    acs: httpx.Client, receiver: Receiver, path: str | None
) -> None:
    # Port 9 (discard) is closed on test machines: the connection is refused at once.
    uri = f"{receiver.url}{path}" if path else "http://127.0.0.1:9/prompt.wav"
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    play(acs, call_leg_id, uri)

    event = receiver.wait_for(call_leg_id, "PlayAudioResult")["data"]
    assert event["Status"] == "Failed"
    assert event["ResultInfo"]["Subcode"] == 8536


def test_play_of_a_file_over_the_size_cap_fails(
    start_emulator: StartEmulator, receiver: Receiver, prompt: str
) -> None:
    config = EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE, audio_max_bytes=1024)
    url = start_emulator(config)
    with httpx.Client(base_url=url, auth=HmacAuth(ACCESS_KEY)) as client:
        call_leg_id = established_call(client, receiver, call_body(receiver.url))
        play(client, call_leg_id, prompt)

    event = receiver.wait_for(call_leg_id, "PlayAudioResult")["data"]
    assert "larger than 1024 bytes" in event["ResultInfo"]["Message"]


@pytest.mark.parametrize(
    "body",
    [{}, {"audioFileUri": "prompt.wav"}, {"audioFileUri": "http://x/a.wav", "loop": "yes"}],
    ids=["no uri", "relative uri", "loop not a boolean"],
)
def test_invalid_play_body_is_400(
    acs: httpx.Client, receiver: Receiver, body: dict[str, object]
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))

    response = acs.post(f"{CALLS}/{call_leg_id}/PlayAudio", json=body)

    assert response.status_code == 400
