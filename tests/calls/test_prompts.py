import io
import json
import wave

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from calls.keypad import DEFAULT_KEYPAD
from calls.models import AudioPrompt
from tests.factories import UserFactory


def wav(seconds: float, *, channels: int = 1, rate: int = 16_000, width: int = 2) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(b"\x00" * width * channels * int(seconds * rate))
    return buffer.getvalue()


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
    return client


def upload(client: Client, name: str, data: bytes, *, is_default: bool = False) -> bytes:
    fields = {"name": name, "audio": SimpleUploadedFile(f"{name}.wav", data, "audio/wav")}
    # The add page shows these filled in; browsers send them.
    fields["keypad"] = json.dumps(DEFAULT_KEYPAD)
    fields["voice"] = "en-US-JennyNeural"
    if is_default:
        fields["make_default"] = "on"
    response = client.post("/admin/calls/audioprompt/add/", fields)
    assert response.status_code in (200, 302)
    return response.content if response.status_code == 200 else b""


def test_admin_upload_stores_the_prompt_and_its_duration(admin_client: Client) -> None:
    assert upload(admin_client, "Evacuate", wav(1.5), is_default=True) == b""
    prompt = AudioPrompt.objects.get()
    assert (prompt.duration_ms, prompt.is_default) == (1500, True)
    served = admin_client.get(f"/calls/prompts/{prompt.pk}.wav")
    assert served["Content-Type"] == "audio/wav"
    assert b"".join(served.streaming_content)[:4] == b"RIFF"  # type: ignore[attr-defined]


def test_a_new_default_takes_over_from_the_old_one(admin_client: Client) -> None:
    upload(admin_client, "First", wav(0.2), is_default=True)
    upload(admin_client, "Second", wav(0.2), is_default=True)
    assert list(AudioPrompt.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "Second"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (wav(0.5, channels=2), b"2 channels (needs mono)"),
        (wav(0.5, rate=8000), b"8000 Hz (needs 16000 Hz)"),
        (wav(0.5, width=1), b"8-bit samples (needs 16-bit)"),
        (b"ID3 this is an mp3", b"Not a WAV file"),
    ],
)
def test_admin_upload_rejects_what_the_provider_cannot_play(
    admin_client: Client, data: bytes, message: bytes
) -> None:
    assert message in upload(admin_client, "Bad", data)
    assert not AudioPrompt.objects.exists()


@pytest.mark.django_db
def test_prompts_are_served_without_an_account_for_the_provider() -> None:
    assert Client().get("/calls/prompts/999.wav").status_code == 404  # not a login redirect
