"""Prompts are real files: download `audioFileUri`, insist on what ACS plays, measure the duration.

ACS plays WAV files that are mono, 16-bit PCM, 16 kHz (reference 3.9). The failure subcodes are the
ones later API versions document for the same cases (8535 bad format, 8536 download failed); the
2021 preview documented none.
"""

import io
import struct
import wave
from dataclasses import dataclass

from acs_emulator.config import EmulatorConfig
from acs_emulator.transport import FetchError, Transport

CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: 16-bit
FRAME_RATE = 16_000
SUBCODE_INVALID_FORMAT = 8535
SUBCODE_DOWNLOAD_FAILED = 8536


class AudioError(Exception):
    def __init__(self, subcode: int, message: str) -> None:
        super().__init__(message)
        self.subcode = subcode
        self.message = message


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    frames: int


async def load_prompt(transport: Transport, uri: str, config: EmulatorConfig) -> AudioInfo:
    """Download and check a prompt; raise AudioError with the subcode to report."""
    try:
        data = await transport.fetch(uri, config.audio_max_bytes, config.audio_timeout_s)
    except FetchError as exc:
        raise AudioError(
            SUBCODE_DOWNLOAD_FAILED, f"Action failed, file could not be downloaded: {exc}."
        ) from exc
    return inspect_wav(data)


def inspect_wav(data: bytes) -> AudioInfo:
    """Check that `data` is a mono 16-bit 16 kHz PCM WAV file and return its duration."""
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            # Count the frames actually present: a truncated file overstates them in its header.
            frames = len(wav.readframes(wav.getnframes())) // max(channels * width, 1)
    except (wave.Error, EOFError, struct.error) as exc:
        raise AudioError(
            SUBCODE_INVALID_FORMAT,
            f"Action failed, file format is invalid: not a PCM WAV file ({exc}).",
        ) from exc
    if (channels, width, rate) != (CHANNELS, SAMPLE_WIDTH, FRAME_RATE):
        raise AudioError(
            SUBCODE_INVALID_FORMAT,
            "Action failed, file format is invalid: expected mono 16-bit 16000 Hz, got "
            f"{channels} channel(s), {width * 8}-bit, {rate} Hz.",
        )
    return AudioInfo(duration_s=frames / FRAME_RATE, frames=frames)
