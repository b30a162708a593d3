"""What operators do to a running call: remove, play, stop the audio, hang up (inviting people
is calls.services.inviting)."""

import hashlib
import uuid
from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from calls.controls import WAITING, can_remove, is_connected
from calls.errors import CallNotLive, NoDefaultPrompt
from calls.models import (
    CALL_STATE_RANK,
    AudioPrompt,
    Call,
    CallState,
    MediaState,
    Participant,
    ParticipantState,
)
from calls.provider import provider_client, provider_request, provider_speaks_text, public_url
from calls.provider_types import FileSource, PlaySource, TextSource
from calls.services.announcements import announce, save_and_announce
from calls.services.prompts import DEFAULT_PROMPT, UseDefault, chosen_prompt
from calls.speech import VOICES, speech_digest
from calls.spoken import Spoken, spoken_url
from incidents.models import TimelineKind
from incidents.timeline import actor_name


def _require_live(call: Call) -> str:
    if not is_connected(call):
        raise CallNotLive("The call is not connected, so it cannot be changed.")
    return call.provider_call_id


def _record_call_action(call: Call, action: AuditAction, said: str, actor: User | None) -> None:
    record_action(
        action=action, target=call, actor=actor, incident_id=call.incident_id, summary=said
    )


@audited
def remove_participant(*, participant: Participant, actor: User | None) -> Participant:
    """Drop a participant from the call; someone still ringing on a call of their own has that
    call hung up. Raises CallNotLive, ProviderFailed."""
    if not can_remove(participant):
        raise CallNotLive(f"{participant} is not on the call, so cannot be removed.")
    if participant.state == ParticipantState.JOINED:
        # Already gone (not found) is the outcome the operator wanted.
        with provider_request(f"remove {participant}", gone_is_done=True):
            provider_client().remove_participant(
                participant.call.provider_call_id, participant.provider_participant_id
            )
    else:
        # A broadcast call rings one person: ending it is the only way to stop their phone.
        said = f"{actor_name(actor)} removed {participant}, hanging up their call."
        hang_up_call(call=participant.call, actor=actor, said=said)
    with transaction.atomic():
        participant = (
            Participant.objects.select_for_update(no_key=True, of=("self",))
            .select_related("call", "contact")
            .get(pk=participant.pk)
        )
        if participant.state == ParticipantState.JOINED:
            participant.left_at = timezone.now()
        was_joined = participant.state == ParticipantState.JOINED
        if participant.state in (ParticipantState.JOINED, *WAITING):
            participant.state = ParticipantState.REMOVED
            participant.save(update_fields=["state", "left_at", "updated_at"])
        # Else hanging up their call already said it.
        says = f"{actor_name(actor)} removed {participant} from the call." if was_joined else ""
        announce(participant, says, kind=TimelineKind.ACTION, actor=actor)
        record_action(
            action=AuditAction.REMOVE,
            target=participant,
            actor=actor,
            incident_id=participant.call.incident_id,
            summary=f"{actor_name(actor)} removed {participant}.",
        )
    return participant


def prompt_url(prompt: AudioPrompt) -> str:
    return public_url(reverse("calls:prompt_audio", kwargs={"prompt_id": prompt.pk}))


def prompt_source(prompt: AudioPrompt) -> PlaySource:
    """What the provider plays for `prompt`: a typed text is spoken by a provider that speaks
    text, else fetched as a file (its rendering, for a typed one: calls.speech)."""
    if prompt.text and provider_speaks_text():
        voice = VOICES[prompt.voice]
        return TextSource(prompt.text, source_locale=voice.locale, voice_name=voice.name)
    return FileSource(prompt_url(prompt), cache_id=prompt_cache_id(prompt))


def prompt_cache_id(prompt: AudioPrompt) -> str:
    """The id the provider may cache `prompt`'s audio by: it changes with a new recording (a
    new file name) or a changed text or voice, so an edited prompt is never played stale."""
    source = speech_digest(prompt.text, prompt.voice) if prompt.text else prompt.audio.name
    return f"prompt-{prompt.pk}-{hashlib.sha256(source.encode()).hexdigest()[:16]}"


@audited
def play_prompt(
    *,
    call: Call,
    prompt: AudioPrompt | Literal[UseDefault.PROMPT] = DEFAULT_PROMPT,
    loop: bool = True,
    actor: User | None,
) -> Call:
    """Play `prompt` (by default, the default prompt) to everyone on the call.

    Raises CallNotLive, NoDefaultPrompt, ProviderFailed.
    """
    provider_call_id = _require_live(call)
    chosen = chosen_prompt(prompt)
    if chosen is None:
        raise NoDefaultPrompt("No prompt is the default; choose one to play.")
    prompt = chosen
    how = "on a loop" if loop else "once"
    return _play(
        call=call,
        provider_call_id=provider_call_id,
        source=prompt_source(prompt),
        loop=loop,
        operation_context=f"play:{prompt.pk}:{uuid.uuid4()}",
        doing=f'play "{prompt}"',
        says=f'{actor_name(actor)} played "{prompt}" {how}.',
        actor=actor,
        audit_as=AuditAction.PLAY,
    )


def play_spoken(*, call: Call, spoken: Spoken, operation_context: str, says: str) -> Call:
    """Play one of the app's spoken messages once; its PlayResult carries `operation_context`
    and the timeline says `says`. Raises CallNotLive, ProviderFailed."""
    return _play(
        call=call,
        provider_call_id=_require_live(call),
        # The file may change with a new release: no caching by id.
        source=FileSource(spoken_url(spoken)),
        loop=False,
        operation_context=operation_context,
        doing="play the confirmation",
        says=says,
        actor=None,
        audit_as=None,  # the app's own confirmation, nobody's action
    )


def _play(
    *,
    call: Call,
    provider_call_id: str,
    source: PlaySource,
    loop: bool,
    operation_context: str,
    doing: str,
    says: str,
    actor: User | None,
    audit_as: AuditAction | None,
) -> Call:
    with provider_request(doing):
        provider_client().play(
            provider_call_id, source=source, loop=loop, operation_context=operation_context
        )
    return _record_media(
        call=call, state=MediaState.PLAYING, text=says, actor=actor, audit_as=audit_as
    )


@audited
def cancel_media(*, call: Call, actor: User | None) -> Call:
    """Stop whatever the call is playing. Raises CallNotLive, ProviderFailed."""
    provider_call_id = _require_live(call)
    with provider_request("stop the audio"):
        provider_client().cancel_media(provider_call_id, operation_context=f"cancel:{uuid.uuid4()}")
    return _record_media(
        call=call,
        state=MediaState.IDLE,
        text=f"{actor_name(actor)} stopped the audio.",
        actor=actor,
        audit_as=AuditAction.STOP_AUDIO,
    )


@transaction.atomic
def _record_media(
    *, call: Call, state: MediaState, text: str, actor: User | None, audit_as: AuditAction | None
) -> Call:
    call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
    call.media_state = state
    save_and_announce(call, "media_state", says=text, kind=TimelineKind.MEDIA, actor=actor)
    if audit_as is not None:
        _record_call_action(call, audit_as, text, actor)
    return call


@audited
def hang_up_call(*, call: Call, actor: User | None, said: str = "") -> Call:
    """End the call for everyone; the timeline says `said`, or that `actor` hung up. Raises
    ProviderFailed; a call already over is left alone."""
    if (
        call.provider_call_id
        and CALL_STATE_RANK[call.state] < CALL_STATE_RANK[CallState.TERMINATING]
    ):
        # Not found: the provider already ended it.
        with provider_request("hang up", gone_is_done=True):
            # For everyone: on GA a plain hang-up would only take the app off a bridge.
            provider_client().terminate_call(call.provider_call_id)
    with transaction.atomic():
        call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
        if CALL_STATE_RANK[call.state] < CALL_STATE_RANK[CallState.TERMINATING]:
            # A call never placed ends here; a placed one ends when the provider says so.
            call.state = CallState.TERMINATING if call.provider_call_id else CallState.TERMINATED
            says = said or f"{actor_name(actor)} hung up the call."
            save_and_announce(call, "state", says=says, kind=TimelineKind.ACTION, actor=actor)
        # Asked for even if the call was over by then: the log says what people asked.
        _record_call_action(call, AuditAction.HANG_UP, f"{actor_name(actor)} hung up.", actor)
    return call
