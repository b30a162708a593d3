"""Short spoken messages shipped with the app (calls/assets), for the provider to play.

They are WAV, mono, 16-bit, 16 kHz like every prompt, spoken by espeak-ng (the README gives the
command that made them), and served to the provider at /calls/spoken/<name>.wav.
"""

from enum import StrEnum
from pathlib import Path

from django.urls import reverse

from calls.provider import public_url

ASSETS = Path(__file__).resolve().parent / "assets"


class Spoken(StrEnum):
    """Each message by its file's name (calls/assets/<name>.wav); the comment is what it says."""

    # "Thank you. Your acknowledgement has been recorded. Goodbye."
    ACKNOWLEDGED = "confirm-acknowledged"
    # "Thank you. We have recorded that you cannot help. Goodbye."
    DECLINED = "confirm-declined"
    # "Thank you. Your acknowledgement has been recorded. This call will now end, and you will
    # be called into the incident bridge."
    JOINING_BRIDGE = "confirm-join-bridge"
    # "Thank you. We will call you back later. Goodbye."
    CALLING_BACK = "confirm-call-back"


def spoken_path(spoken: Spoken) -> Path:
    return ASSETS / f"{spoken.value}.wav"


def spoken_url(spoken: Spoken) -> str:
    return public_url(reverse("calls:spoken_audio", kwargs={"name": spoken.value}))
