"""WAV inspection: what ACS can play (mono, 16-bit, 16 kHz) and how long it lasts."""

import pytest

from acs_emulator.audio import SUBCODE_INVALID_FORMAT, AudioError, inspect_wav
from tests.acs_emulator.scenarios import wav_bytes


def test_mono_16_bit_16_khz_wav_is_accepted_with_its_duration() -> None:
    info = inspect_wav(wav_bytes(2.5))

    assert info.duration_s == pytest.approx(2.5)
    assert info.frames == 40_000


def test_truncated_wav_counts_only_the_frames_present() -> None:
    data = wav_bytes(1.0)

    assert inspect_wav(data[: len(data) // 2]).duration_s < 0.6


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a PCM WAV"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "not a PCM WAV"),
        (wav_bytes(0.1, channels=2), "2 channel"),
        (wav_bytes(0.1, width=1), "8-bit"),
        (wav_bytes(0.1, rate=44_100), "44100 Hz"),
    ],
    ids=["empty", "garbage", "stereo", "8-bit", "44.1 kHz"],
)
def test_other_files_are_rejected_as_invalid_format(data: bytes, reason: str) -> None:
    with pytest.raises(AudioError, match=reason) as caught:
        inspect_wav(data)

    assert caught.value.subcode == SUBCODE_INVALID_FORMAT
