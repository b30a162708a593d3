"""Typed prompts: text spoken by the offline engine (espeak-ng, sox), kept by content."""

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from calls.audio import validate_prompt_wav
from calls.dialects import NEWEST_GA_VERSION, PREVIEW_VERSION
from calls.errors import SpeechUnavailable
from calls.keypad import DEFAULT_KEYPAD
from calls.models import AudioPrompt
from calls.provider_types import FileSource, TextSource
from calls.services.actions import prompt_cache_id, prompt_source
from calls.services.prompts import save_prompt
from calls.speech import MAX_TEXT_LENGTH, estimated_duration_ms, rendered_speech, speech_digest
from tests.calls.test_prompts import wav
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
needs_speech = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are missing (`.ci/run` installs them)",
)
SAID = "Fire in building A. Press 1 if you can come."
ADD = "/admin/calls/audioprompt/add/"


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="root", is_superuser=True, is_staff=True))
    return client


def form(**fields: object) -> dict[str, object]:
    return {"name": "Fire", "voice": "en-US-JennyNeural", "keypad": json.dumps(DEFAULT_KEYPAD)} | (
        fields
    )


def served(client: Client, prompt: AudioPrompt) -> bytes:
    response = client.get(f"/calls/prompts/{prompt.pk}.wav")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@needs_speech
@pytest.mark.dialect("preview")  # GA speaks the text itself: nothing is rendered
def test_a_typed_prompt_is_spoken_as_the_provider_plays_files_and_timed(
    admin_client: Client,
) -> None:
    response = admin_client.post(ADD, form(text=SAID))
    assert response.status_code == 302, response.content.decode()
    prompt = AudioPrompt.objects.get()
    assert (prompt.text, prompt.audio.name) == (SAID, "")
    # Served to the provider without an account, in the one format it plays.
    info = validate_prompt_wav(io.BytesIO(served(Client(), prompt)))
    assert 2000 < info.duration_ms < 6000
    assert prompt.duration_ms == info.duration_ms


@needs_speech
def test_the_same_text_in_the_same_voice_is_rendered_once(settings: object) -> None:
    first = rendered_speech(SAID, "en-US-JennyNeural")
    modified = first.stat().st_mtime_ns
    assert rendered_speech(SAID, "en-US-JennyNeural") == first
    assert first.stat().st_mtime_ns == modified
    other = rendered_speech(SAID, "de-DE-KatjaNeural")
    assert other != first and other.name == f"{speech_digest(SAID, 'de-DE-KatjaNeural')}.wav"
    assert sorted(p.name for p in first.parent.iterdir()) == sorted([first.name, other.name])


def test_a_prompt_is_a_recording_or_a_text_never_both_nor_neither(admin_client: Client) -> None:
    recording = SimpleUploadedFile("p.wav", wav(0.2), "audio/wav")
    both = admin_client.post(ADD, form(text=SAID, audio=recording))
    assert "not both" in both.content.decode()
    neither = admin_client.post(ADD, form())
    assert "Upload a recording or type the text" in neither.content.decode()
    too_long = admin_client.post(ADD, form(text="a" * (MAX_TEXT_LENGTH + 1)))
    assert f"at most {MAX_TEXT_LENGTH} characters" in too_long.content.decode()
    unknown_voice = admin_client.post(ADD, form(text=SAID, voice="xx-XX-Nobody"))
    assert "Select a valid choice" in unknown_voice.content.decode()
    assert not AudioPrompt.objects.exists()


@pytest.mark.dialect("preview")  # GA needs no speech engine
def test_without_the_speech_engine_a_typed_prompt_is_refused_with_how_to_install_it(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng, no sox
    response = admin_client.post(ADD, form(text=SAID))
    assert "apt-get install espeak-ng sox" in response.content.decode()
    assert not AudioPrompt.objects.exists()
    with pytest.raises(SpeechUnavailable):
        rendered_speech(SAID, "en-US-JennyNeural")


@needs_speech
def test_the_api_takes_a_typed_prompt_as_json(admin_client: Client) -> None:
    body = {"name": "Flood", "text": "Water in the basement.", "voice": "en-GB-RyanNeural"}
    response = admin_client.post("/api/prompts/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert {k: response.json()[k] for k in body} == body
    neither = admin_client.post("/api/prompts/", {"name": "Empty"}, content_type="application/json")
    assert neither.status_code == 400
    assert "Upload a recording or type the text" in json.dumps(neither.json())


@needs_speech
def test_an_edited_text_gets_a_new_cache_id_so_the_provider_never_plays_it_stale(
    admin_client: Client,
) -> None:
    admin_client.post(ADD, form(text=SAID))
    prompt = AudioPrompt.objects.get()
    before = prompt_cache_id(prompt)
    response = admin_client.post(
        f"/admin/calls/audioprompt/{prompt.pk}/change/", form(text=SAID + " Now.")
    )
    assert response.status_code == 302
    prompt.refresh_from_db()
    assert prompt_cache_id(prompt) != before
    assert prompt_cache_id(prompt).startswith(f"prompt-{prompt.pk}-")


def test_a_provider_that_speaks_text_gets_the_text_and_nothing_is_rendered(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ACS_API_VERSION = NEWEST_GA_VERSION
    monkeypatch.setenv("PATH", str(tmp_path))  # no speech engine needed for the GA dialect
    prompt = save_prompt(prompt=AudioPrompt(name="Fire", text=SAID, voice="en-GB-RyanNeural"))
    assert prompt.duration_ms == estimated_duration_ms(SAID)
    assert prompt_source(prompt) == TextSource(
        SAID, source_locale="en-GB", voice_name="en-GB-RyanNeural"
    )
    assert not (Path(settings.MEDIA_ROOT) / "speech").exists()


@needs_speech
def test_the_preview_dialect_gets_the_rendering_as_a_file(settings: Any) -> None:
    settings.ACS_API_VERSION = PREVIEW_VERSION
    prompt = save_prompt(prompt=AudioPrompt(name="Fire", text=SAID))
    source = prompt_source(prompt)
    assert isinstance(source, FileSource)
    assert source.url.endswith(f"/calls/prompts/{prompt.pk}.wav")
    assert source.cache_id == prompt_cache_id(prompt)
