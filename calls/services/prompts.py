"""Audio prompts: stored with their duration; at most one is the default."""

from enum import Enum
from typing import Literal

from django.core.files import File
from django.db import transaction

from calls.audio import validate_prompt_wav
from calls.models import AudioPrompt
from calls.selectors import default_prompt


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


@transaction.atomic
def save_prompt(*, prompt: AudioPrompt, audio: File | None = None) -> AudioPrompt:  # type: ignore[type-arg]
    """Save `prompt` (with a new `audio` file if given), recording the WAV's duration.

    Making it the default takes that role from the previous default. Raises ValidationError
    when the file is not mono 16-bit 16 kHz WAV.
    """
    if audio is not None:
        audio.seek(0)
        prompt.duration_ms = validate_prompt_wav(audio).duration_ms
        audio.seek(0)
        prompt.audio.save(audio.name or "prompt.wav", audio, save=False)
    if prompt.is_default:
        AudioPrompt.objects.filter(is_default=True).exclude(pk=prompt.pk).update(is_default=False)
    prompt.save()
    return prompt
