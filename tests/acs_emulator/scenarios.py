"""Request bodies and WAV files the emulator tests build calls from."""

import base64
import io
import wave

import httpx

from tests.acs_emulator.servers import Receiver

ACCESS_KEY = base64.b64encode(b"incident-reporter-emulator-tests").decode("ascii")
# Simulated delays shrink a hundredfold: the default answer comes after 20 ms, no-answer after 300.
TIME_SCALE = 0.01

APP_ID = "8:acs:00000000-0000-0000-0000-000000000001_00000000-0000-0000-0000-0000000000aa"
CALLER_ID = "+14255550100"
CALLEE = "+14255550123"
CALLS = "/calling/calls"


def phone(number: str) -> dict[str, object]:
    return {"phoneNumber": {"value": number}}


def acs_user(user_id: str) -> dict[str, object]:
    return {"communicationUser": {"id": user_id}}


def call_body(
    receiver_url: str,
    *targets: dict[str, object],
    events: tuple[str, ...] = ("participantsUpdated", "dtmfReceived"),
) -> dict[str, object]:
    return {
        "source": acs_user(APP_ID),
        "targets": list(targets) or [phone(CALLEE)],
        "subject": "Incident 42",
        "callbackUri": f"{receiver_url}/callbacks/acs?secret=s3cret",
        "requestedModalities": ["audio"],
        "requestedCallEvents": list(events),
        "alternateCallerId": {"value": CALLER_ID},
    }


def place_call(acs: httpx.Client, body: dict[str, object]) -> str:
    response = acs.post(CALLS, json=body)
    assert response.status_code == 200, response.text
    call_leg_id = response.json()["callLegId"]
    assert isinstance(call_leg_id, str)
    return call_leg_id


def established_call(acs: httpx.Client, receiver: Receiver, body: dict[str, object]) -> str:
    call_leg_id = place_call(acs, body)
    receiver.wait_for(call_leg_id, "CallLegStateChanged", lambda d: d["CallState"] == "Established")
    return call_leg_id


def calls_in_emulator(control: httpx.Client) -> int:
    return len(control.get("/emulator/calls").json()["calls"])


def wav_bytes(seconds: float, *, channels: int = 1, width: int = 2, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(b"\x00" * int(seconds * rate) * channels * width)
    return buffer.getvalue()
