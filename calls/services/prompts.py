"""Audio prompts, recorded or typed: stored with their duration; at most one is the default."""

from enum import Enum
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from calls.audio import validate_prompt_wav
from calls.models import AudioPrompt
from calls.selectors import default_prompt
from calls.speech import rendered_duration_ms


class UseDefault(Enum):
    """The one value of DEFAULT_PROMPT (an enum, so that type checkers can tell it apart)."""

    PROMPT = "default prompt"


# What a caller passes when the person did not say which prompt: the services decide that it
# means the default prompt (the one place that rule is written), None meaning "no message".
DEFAULT_PROMPT = UseDefault.PROMPT
PromptChoice = AudioPrompt | None | Literal[UseDefault.PROMPT]


def chosen_prompt(choice: PromptChoice) -> AudioPrompt | None:
    """The prompt `choice` names: DEFAULT_PROMPT is the current default prompt, if any."""
    return default_prompt() if choice is DEFAULT_PROMPT else choice


def check_prompt_source(*, has_audio: bool, text: str) -> None:
    """Raises ValidationError unless a prompt has exactly one of a recording and a text."""
    if has_audio and text:
        raise ValidationError(
            "A prompt is a recording or a typed text, not both: remove one.", code="both"
        )
    if not has_audio and not text:
        raise ValidationError("Upload a recording or type the text to say.", code="neither")


@transaction.atomic
def save_prompt(*, prompt: AudioPrompt, audio: File | None = None) -> AudioPrompt:  # type: ignore[type-arg]
    """Save `prompt` (with a new `audio` file if given), recording how long it plays: the WAV's
    duration, or for a typed text the duration of its rendering (calls.speech).

    Making it the default takes that role from the previous default. Raises ValidationError
    when the file is not mono 16-bit 16 kHz WAV, or the prompt has both a recording and a text
    or neither; SpeechUnavailable when a text cannot be spoken.
    """
    check_prompt_source(has_audio=audio is not None or bool(prompt.audio), text=prompt.text)
    if audio is not None:
        audio.seek(0)
        prompt.duration_ms = validate_prompt_wav(audio).duration_ms
        audio.seek(0)
        prompt.audio.save(audio.name or "prompt.wav", audio, save=False)
    elif prompt.text:
        prompt.duration_ms = rendered_duration_ms(prompt.text, prompt.voice)
    if prompt.is_default:
        AudioPrompt.objects.filter(is_default=True).exclude(pk=prompt.pk).update(is_default=False)
    prompt.save()
    return prompt
