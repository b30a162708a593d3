"""Audio prompts: stored with their duration; at most one is the default."""

from django.core.files import File
from django.db import transaction

from calls.audio import validate_prompt_wav
from calls.models import AudioPrompt


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
