"""Audio prompts, recorded or typed: stored with their duration; at most one is the default."""

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction

from audit.models import AuditAction
from audit.services import audited, record_action
from calls.audio import validate_prompt_wav
from calls.models import AudioPrompt
from calls.provider import provider_speaks_text
from calls.selectors import default_prompt
from calls.speech import (
    DEFAULT_VOICE,
    MAX_TEXT_LENGTH,
    VOICES,
    estimated_duration_ms,
    rendered_duration_ms,
    speech_digest,
)


class UseDefault(Enum):
    """The one value of DEFAULT_PROMPT (an enum, so that type checkers can tell it apart)."""

    PROMPT = "default prompt"


# What a caller passes when the person did not say which prompt: the services decide that it
# means the default prompt (the one place that rule is written), None meaning "no message".
DEFAULT_PROMPT = UseDefault.PROMPT


@dataclass(frozen=True)
class TypedMessage:
    """A message an operator typed when declaring, to be spoken instead of a recording."""

    text: str
    voice: str = DEFAULT_VOICE


PromptChoice = AudioPrompt | None | Literal[UseDefault.PROMPT] | TypedMessage


def prompt_choice(*, prompt: PromptChoice, message: TypedMessage | None) -> PromptChoice:
    """What to play when someone chose `prompt` and perhaps typed `message`: a typed message
    takes the place of the prompt (the dashboard's list always has one chosen)."""
    return message if message is not None else prompt


def chosen_prompt(choice: PromptChoice) -> AudioPrompt | None:
    """The prompt `choice` names: DEFAULT_PROMPT is the current default prompt, if any; a typed
    message, its one-off prompt (see typed_prompt, which says what it raises)."""
    if isinstance(choice, TypedMessage):
        return typed_prompt(choice)
    return default_prompt() if choice is DEFAULT_PROMPT else choice


def typed_prompt(message: TypedMessage) -> AudioPrompt:
    """The one-off prompt that speaks `message`: the same text in the same voice is one prompt,
    however often it is typed. Not offered in the lists of prompts (calls.selectors). Raises
    ValidationError for an empty or too long text or an unknown voice, SpeechUnavailable when
    the text cannot be spoken."""
    text = message.text.strip()
    check_typed_text(text=text, voice=message.voice)
    found = AudioPrompt.objects.filter(one_off=True, text=text, voice=message.voice).first()
    if found is not None:
        return found
    digest = speech_digest(text, message.voice)[:8]
    shortened = text if len(text) <= 60 else f"{text[:59]}…"
    prompt = AudioPrompt(name=f"Typed: {shortened} ({digest})", text=text, voice=message.voice)
    prompt.one_off = True
    try:
        with transaction.atomic():
            return save_prompt(prompt=prompt)
    except IntegrityError:  # typed at the same moment by someone else: theirs is as good
        return AudioPrompt.objects.get(one_off=True, text=text, voice=message.voice)


def check_typed_text(*, text: str, voice: str) -> None:
    """Raises ValidationError unless `text` can be a prompt's text in `voice`."""
    if not text:
        raise ValidationError("Type the message to say.", code="empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            f"A typed message has at most {MAX_TEXT_LENGTH} characters ({len(text)} given).",
            code="too_long",
        )
    if voice not in VOICES:
        raise ValidationError(
            f"There is no voice {voice!r}; choose one of {', '.join(VOICES)}.", code="voice"
        )


def check_prompt_source(*, has_audio: bool, text: str) -> None:
    """Raises ValidationError unless a prompt has exactly one of a recording and a text."""
    if has_audio and text:
        raise ValidationError(
            "A prompt is a recording or a typed text, not both: remove one.", code="both"
        )
    if not has_audio and not text:
        raise ValidationError("Upload a recording or type the text to say.", code="neither")


@transaction.atomic
@audited
def save_prompt(*, prompt: AudioPrompt, audio: File | None = None) -> AudioPrompt:  # type: ignore[type-arg]
    """Save `prompt` (with a new `audio` file if given), recording how long it plays: the WAV's
    duration, or for a typed text the duration of its rendering (calls.speech), or its
    estimate where the provider speaks the text itself.

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
    elif prompt.text and provider_speaks_text():
        prompt.duration_ms = estimated_duration_ms(prompt.text)
    elif prompt.text:
        prompt.duration_ms = rendered_duration_ms(prompt.text, prompt.voice)
    adding = prompt._state.adding
    with transaction.atomic():
        if prompt.is_default:
            others = AudioPrompt.objects.filter(is_default=True).exclude(pk=prompt.pk)
            others.update(is_default=False)
        prompt.save()
        action, said = (AuditAction.ADD, "Added.") if adding else (AuditAction.CHANGE, "Saved.")
        record_action(action=action, target=prompt, summary=said)
    return prompt
