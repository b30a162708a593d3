"""Audio prompts must be WAV, mono, 16-bit, 16 kHz: the only format the provider plays."""

import wave
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError

REQUIRED_CHANNELS = 1
REQUIRED_SAMPLE_WIDTH = 2  # bytes, i.e. 16-bit
REQUIRED_FRAME_RATE = 16_000
MAX_PROMPT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class WavInfo:
    channels: int
    sample_width: int
    frame_rate: int
    frames: int

    @property
    def duration_ms(self) -> int:
        return round(self.frames * 1000 / self.frame_rate) if self.frame_rate else 0


def read_wav_info(stream: IO[bytes]) -> WavInfo:
    """Read the header of a WAV stream; raise ValidationError if it is not a WAV file."""
    try:
        with wave.open(stream, "rb") as wav:
            return WavInfo(
                wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            )
    except (wave.Error, EOFError) as exc:
        raise ValidationError(f"Not a WAV file ({exc}).", code="not_wav") from None


def validate_prompt_wav(stream: IO[bytes]) -> WavInfo:
    """Return the WAV's properties; raise ValidationError unless it is mono 16-bit 16 kHz."""
    info = read_wav_info(stream)
    problems = []
    if info.channels != REQUIRED_CHANNELS:
        problems.append(f"{info.channels} channels (needs mono)")
    if info.sample_width != REQUIRED_SAMPLE_WIDTH:
        problems.append(f"{info.sample_width * 8}-bit samples (needs 16-bit)")
    if info.frame_rate != REQUIRED_FRAME_RATE:
        problems.append(f"{info.frame_rate} Hz (needs 16000 Hz)")
    if info.frames == 0:
        problems.append("no audio")
    if problems:
        raise ValidationError(
            "The provider plays only mono 16-bit 16 kHz WAV; this file has "
            + ", ".join(problems)
            + ".",
            code="wrong_wav_format",
        )
    return info
