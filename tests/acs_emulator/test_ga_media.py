"""GA media: play (file and text), recognize DTMF, continuous DTMF and cancel-all."""

import httpx
import pytest

from acs_emulator.ga_media import TEXT_CHARACTERS_PER_SECOND
from tests.acs_emulator.ga import action, connected_ga_call, ga_call_body, types_of
from tests.acs_emulator.scenarios import CALLEE, TIME_SCALE, phone, wav_bytes
from tests.acs_emulator.servers import Receiver

pytestmark = pytest.mark.dialect("ga")

TARGET = phone(CALLEE)


@pytest.fixture
def call_id(acs: httpx.Client, receiver: Receiver) -> str:
    receiver.files["one.wav"] = wav_bytes(1.0)
    return connected_ga_call(acs, receiver, ga_call_body(receiver.url))


def file_source(receiver: Receiver, name: str = "one.wav") -> dict[str, object]:
    return {"kind": "file", "file": {"uri": f"{receiver.url}/audio/{name}"}}


def text_source(text: str) -> dict[str, object]:
    return {"kind": "text", "text": {"text": text, "sourceLocale": "en-GB", "voiceKind": "female"}}


def press(control: httpx.Client, call_id: str, tones: str, number: str = CALLEE) -> None:
    call = control.get(f"/emulator/calls/{call_id}").json()
    (person,) = [p for p in call["participants"] if p["rawId"] == f"4:{number}"]
    path = f"/emulator/calls/{call_id}/participants/{person['participantId']}/tones"
    control.post(path, json={"tones": tones}).raise_for_status()


def media(control: httpx.Client, call_id: str) -> list[dict[str, object]]:
    result: list[dict[str, object]] = control.get(f"/emulator/calls/{call_id}").json()["media"]
    return result


def test_a_file_plays_to_completion(acs: httpx.Client, receiver: Receiver, call_id: str) -> None:
    body = {"playSources": [file_source(receiver)], "playTo": [], "operationContext": "p1"}

    response = action(acs, call_id, ":play", body)

    assert response.status_code == 202 and response.content == b""
    completed = receiver.wait_for(call_id, "PlayCompleted")
    assert completed["data"]["operationContext"] == "p1"
    assert completed["data"]["resultInformation"] == {
        "code": 200,
        "subCode": 0,
        "message": "Action completed successfully.",
    }
    assert types_of(receiver, call_id)[-2:] == ["PlayStarted", "PlayCompleted"]


def test_a_text_lasts_in_proportion_to_its_length(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, call_id: str
) -> None:
    text = "Incident forty-two: the server room is flooding. Press one."

    action(acs, call_id, ":play", {"playSources": [text_source(text)]})

    receiver.wait_for(call_id, "PlayCompleted")
    (play,) = media(control, call_id)
    assert play["durationMs"] == round(len(text) / TEXT_CHARACTERS_PER_SECOND * 1000)
    assert play["sources"] == [{"kind": "text", "text": text, "locale": "en-GB"}]
    page = control.get("/emulator/").text
    assert "the server room is flooding" in page


def test_a_bad_file_fails_the_play_naming_the_source(
    acs: httpx.Client, receiver: Receiver, call_id: str
) -> None:
    receiver.files["stereo.wav"] = wav_bytes(0.5, channels=2)
    sources = [text_source("Hello"), file_source(receiver, "stereo.wav")]

    action(acs, call_id, ":play", {"playSources": sources})

    failed = receiver.wait_for(call_id, "PlayFailed")
    assert failed["data"]["failedPlaySourceIndex"] == 1
    assert failed["data"]["resultInformation"]["subCode"] == 8535


def test_events_of_an_action_go_to_its_operation_callback_uri(
    acs: httpx.Client, receiver: Receiver, call_id: str
) -> None:
    body = {
        "playSources": [text_source("Hi")],
        "operationCallbackUri": f"{receiver.url}/callbacks/other",
    }

    action(acs, call_id, ":play", body)

    receiver.wait_for(call_id, "PlayCompleted")
    with receiver._lock:
        paths = {p.path for p in receiver.posts if p.body[0]["type"].endswith("PlayCompleted")}
    assert paths == {"/callbacks/other"}


def test_cancel_all_cancels_a_looping_play_and_a_recognize(
    acs: httpx.Client, receiver: Receiver, call_id: str
) -> None:
    loop = {"playSources": [text_source("Hold on")], "playOptions": {"loop": True}}
    action(acs, call_id, ":play", loop)
    receiver.wait_for(call_id, "PlayStarted")
    recognize = {
        "recognizeInputType": "dtmf",
        "recognizeOptions": {"targetParticipant": TARGET, "initialSilenceTimeoutInSeconds": 300},
    }
    assert action(acs, call_id, ":recognize", recognize).status_code == 202

    assert action(acs, call_id, ":cancelAllMediaOperations").status_code == 202

    canceled = receiver.wait_for(call_id, "PlayCanceled")
    assert canceled["data"]["resultInformation"]["subCode"] == 8508
    receiver.wait_for(call_id, "RecognizeCanceled")
    assert "PlayCompleted" not in types_of(receiver, call_id)


def test_recognize_collects_keys_after_its_prompt(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, call_id: str
) -> None:
    body = {
        "recognizeInputType": "dtmf",
        "playPrompt": text_source("Press one then two."),
        "recognizeOptions": {
            "targetParticipant": TARGET,
            "initialSilenceTimeoutInSeconds": 300,
            "dtmfOptions": {"maxTonesToCollect": 2, "interToneTimeoutInSeconds": 60},
        },
        "operationContext": "menu",
    }
    action(acs, call_id, ":recognize", body)

    press(control, call_id, "12")

    completed = receiver.wait_for(call_id, "RecognizeCompleted")
    data = completed["data"]
    assert data["recognitionType"] == "dtmf"
    assert data["dtmfResult"] == {"tones": ["one", "two"]}
    assert data["operationContext"] == "menu"
    assert data["resultInformation"]["subCode"] == 8531
    # The prompt of a recognize reports no play events of its own.
    assert "PlayStarted" not in types_of(receiver, call_id)


def test_a_stop_tone_ends_the_recognize(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, call_id: str
) -> None:
    options = {
        "targetParticipant": TARGET,
        "initialSilenceTimeoutInSeconds": 300,
        "dtmfOptions": {"maxTonesToCollect": 5, "stopTones": ["pound"]},
    }
    action(acs, call_id, ":recognize", {"recognizeInputType": "dtmf", "recognizeOptions": options})

    press(control, call_id, "4#")

    data = receiver.wait_for(call_id, "RecognizeCompleted")["data"]
    assert data["dtmfResult"]["tones"] == ["four"]
    assert data["resultInformation"]["subCode"] == 8514


def test_silence_fails_the_recognize_with_8510(
    acs: httpx.Client, receiver: Receiver, call_id: str
) -> None:
    options = {"targetParticipant": TARGET, "initialSilenceTimeoutInSeconds": 1}
    action(acs, call_id, ":recognize", {"recognizeInputType": "dtmf", "recognizeOptions": options})

    failed = receiver.wait_for(call_id, "RecognizeFailed", timeout=1 / TIME_SCALE)
    assert failed["data"]["resultInformation"]["code"] == 400
    assert failed["data"]["resultInformation"]["subCode"] == 8510


def test_continuous_dtmf_names_each_tone_and_who_pressed_it(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client, call_id: str
) -> None:
    start = {"targetParticipant": TARGET, "operationContext": "keys"}
    assert action(acs, call_id, ":startContinuousDtmfRecognition", start).status_code == 200

    press(control, call_id, "9*")

    tone = "ContinuousDtmfRecognitionToneReceived"
    receiver.wait_for(call_id, tone, lambda d: d["sequenceId"] == 2)
    tones = [e["data"] for e in receiver.events(call_id) if e["type"].endswith(tone)]
    assert [t["tone"] for t in tones] == ["nine", "asterisk"]
    assert {t["participant"]["rawId"] for t in tones} == {f"4:{CALLEE}"}
    assert {t["operationContext"] for t in tones} == {"keys"}

    stop = {"targetParticipant": TARGET}
    assert action(acs, call_id, ":stopContinuousDtmfRecognition", stop).status_code == 200
    receiver.wait_for(call_id, "ContinuousDtmfRecognitionStopped")
    press(control, call_id, "1")
    assert types_of(receiver, call_id).count("ContinuousDtmfRecognitionToneReceived") == 2


@pytest.mark.parametrize(
    ("verb", "body", "words"),
    [
        (":play", {"playSources": [{"kind": "ssml", "ssml": {"ssmlText": "<speak/>"}}]}, "SSML"),
        (":play", {"playSources": [text_source("x" * 4001)]}, "4000"),
        (":play", {"playSources": []}, "playSources"),
        (":play", {"playSources": [text_source("Hi")], "playTo": [phone("+14255550999")]}, "not"),
        (":recognize", {"recognizeInputType": "speech", "recognizeOptions": {}}, "dtmf"),
        (":startContinuousDtmfRecognition", {}, "targetParticipant"),
    ],
)
def test_bad_media_requests_are_400(
    acs: httpx.Client, call_id: str, verb: str, body: dict[str, object], words: str
) -> None:
    response = action(acs, call_id, verb, body)

    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


def test_a_person_told_by_the_message_presses_only_once_it_plays(
    acs: httpx.Client, receiver: Receiver, control: httpx.Client
) -> None:
    """`"tonesAfter": "message"`: the keys count from the first message that reaches them."""
    behaviour = {"tones": "1", "tonesAfterMs": 20_000, "tonesAfter": "message"}
    control.put(f"/emulator/behaviours/{CALLEE}", json=behaviour).raise_for_status()
    receiver.files["one.wav"] = wav_bytes(1.0)
    call_id = connected_ga_call(acs, receiver, ga_call_body(receiver.url))
    start = {"targetParticipant": TARGET, "operationContext": "keys"}
    assert action(acs, call_id, ":startContinuousDtmfRecognition", start).status_code == 200

    # Well after the 20 s (simulated) an "answer" anchor would have pressed at: nothing.
    silence = 5 * 20 * TIME_SCALE
    with pytest.raises(AssertionError, match="no ContinuousDtmf"):
        receiver.wait_for(call_id, "ContinuousDtmfRecognitionToneReceived", timeout=silence)
    assert control.get(f"/emulator/calls/{call_id}").json()["participants"][1]["tonesPressed"] == ""

    body = {"playSources": [file_source(receiver)], "playTo": [TARGET], "operationContext": "p"}
    assert action(acs, call_id, ":play", body).status_code == 202

    tone = receiver.wait_for(call_id, "ContinuousDtmfRecognitionToneReceived")
    assert tone["data"]["tone"] == "one"
