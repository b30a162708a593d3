"""Text-to-speech for typed prompts: the voices an operator may choose, and offline rendering.

A prompt may be typed text instead of a recording. The GA Call Automation API speaks text
itself (a text play source naming an Azure neural voice); the 2021 preview plays only files, so
for it the app renders the text to a WAV of the one format the provider plays (mono, 16-bit,
16 kHz) with Debian's espeak-ng, resampled by sox. A rendering is kept under MEDIA_ROOT/speech/,
named by a digest of everything that shapes it, so the same text in the same voice is rendered
once, and a changed text can never be served from an old file.
"""

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from calls.audio import validate_prompt_wav
from calls.errors import SpeechUnavailable

MAX_TEXT_LENGTH = 4000  # what the provider speaks in one text source
ESPEAK, SOX = "espeak-ng", "sox"
# espeak-ng's words per minute: a little slower than its default, for a phone line.
WORDS_PER_MINUTE = 150
# Bump when the rendering changes (flags, rate): every cached file is then rendered anew.
RENDERING = f"espeak-ng/sox wpm={WORDS_PER_MINUTE} v1"
RENDER_TIMEOUT_SECONDS = 60  # 4,000 characters (about 4 minutes spoken) take under 1 s
# About how fast speech goes, for the length of a prompt the provider speaks itself.
CHARACTERS_PER_SECOND = 16  # espeak-ng at WORDS_PER_MINUTE, in English


@dataclass(frozen=True)
class Voice:
    """A voice by its provider name (GA's `voiceName`), with espeak-ng's nearest voice."""

    name: str  # e.g. "en-US-JennyNeural"
    locale: str  # GA's `sourceLocale`
    kind: str  # GA's `voiceKind`: "female" or "male"
    label: str
    espeak: str  # espeak-ng's voice and variant


VOICES = {
    voice.name: voice
    for voice in (
        Voice("en-US-JennyNeural", "en-US", "female", "English (US), female", "en-us+f3"),
        Voice("en-US-GuyNeural", "en-US", "male", "English (US), male", "en-us+m3"),
        Voice("en-GB-SoniaNeural", "en-GB", "female", "English (UK), female", "en-gb+f3"),
        Voice("en-GB-RyanNeural", "en-GB", "male", "English (UK), male", "en-gb+m3"),
        Voice("de-DE-KatjaNeural", "de-DE", "female", "German, female", "de+f3"),
        Voice("fr-FR-DeniseNeural", "fr-FR", "female", "French, female", "fr+f3"),
        Voice("es-ES-ElviraNeural", "es-ES", "female", "Spanish, female", "es+f3"),
        Voice("nl-NL-ColetteNeural", "nl-NL", "female", "Dutch, female", "nl+f3"),
    )
}
DEFAULT_VOICE = "en-US-JennyNeural"
VOICE_CHOICES = [(voice.name, voice.label) for voice in VOICES.values()]


def speech_digest(text: str, voice: str) -> str:
    """What names a rendering of `text` in `voice` (and what the provider may cache it by)."""
    return hashlib.sha256(f"{RENDERING}\n{voice}\n{text}".encode()).hexdigest()


def estimated_duration_ms(text: str) -> int:
    return round(len(text) * 1000 / CHARACTERS_PER_SECOND)


def rendered_speech(text: str, voice: str) -> Path:
    """The WAV of `text` spoken in `voice`, rendered now unless it was before. Raises
    SpeechUnavailable when espeak-ng or sox is missing or fails (the message says which)."""
    spec = VOICES.get(voice)
    if spec is None:
        raise SpeechUnavailable(f"There is no voice {voice!r}; choose one of {', '.join(VOICES)}.")
    folder = Path(settings.MEDIA_ROOT) / "speech"
    path = folder / f"{speech_digest(text, voice)}.wav"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    # Rendered beside its final name, then renamed: a reader never sees half a file, and two
    # processes rendering the same text at once both end with the same complete one.
    with tempfile.TemporaryDirectory(dir=folder) as work:
        spoken, converted = Path(work) / "espeak.wav", Path(work) / "prompt.wav"
        _run(
            [_tool(ESPEAK), "-v", spec.espeak, "-s", str(WORDS_PER_MINUTE), "-w", str(spoken)],
            stdin=text,
        )
        _run([_tool(SOX), str(spoken), "-r", "16000", "-c", "1", "-b", "16", str(converted)])
        with converted.open("rb") as wav:
            validate_prompt_wav(wav)
        converted.replace(path)
    return path


def rendered_duration_ms(text: str, voice: str) -> int:
    """How long the rendering of `text` in `voice` plays. Raises SpeechUnavailable."""
    with rendered_speech(text, voice).open("rb") as wav:
        return validate_prompt_wav(wav).duration_ms


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SpeechUnavailable(
            f"Typed prompts need {name} to be spoken on this provider dialect, and it is not "
            f"installed (Debian: apt-get install espeak-ng sox)."
        )
    return found


def _run(command: list[str], *, stdin: str | None = None) -> None:
    try:
        # The programs are found on PATH and the voice comes from VOICES; the text, the only
        # input from a person, goes in on stdin, never as an argument.
        subprocess.run(  # noqa: S603
            command,
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            check=True,
            timeout=RENDER_TIMEOUT_SECONDS,
        )
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip()[:300]
        raise SpeechUnavailable(
            f"{Path(command[0]).name} could not speak the text: {said}"
        ) from None
    except subprocess.TimeoutExpired:
        raise SpeechUnavailable(
            f"{Path(command[0]).name} took over {RENDER_TIMEOUT_SECONDS} s to speak the text."
        ) from None
