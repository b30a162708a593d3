"""The welcome prompt: once a call is established, it plays the call's prompt on a loop.

Playing is a provider request, made after the apply that saw the call established has
committed, and handed to `run_aside`: the callback pipeline passes its own, so that the request
never holds up the pipeline's thread; elsewhere it runs at once (run_now).
"""

from collections.abc import Callable

from django.db import transaction

from callouts.selectors import answer_recorded
from calls.models import Call, MediaState
from calls.services.actions import cancel_media, play_prompt
from config.errors import DomainError
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry

# Runs a provider request that follows an apply: run_now, or the pipeline's run_aside.
RunAside = Callable[[Callable[[], None]], None]


def run_now(work: Callable[[], None]) -> None:
    work()


def play_welcome_prompt_after_commit(call: Call, run_aside: RunAside) -> None:
    """Once this transaction commits, have `run_aside` play the call's prompt, unless the call
    has none or already plays something; a refusal becomes a timeline line."""

    def play() -> None:
        fresh = Call.objects.select_related("prompt").get(pk=call.pk)
        if fresh.prompt is None or fresh.media_state != MediaState.IDLE:
            return
        if answer_recorded(fresh.pk):
            return  # a key beat the prompt: its confirmation plays instead
        try:
            play_prompt(call=fresh, prompt=fresh.prompt, loop=True, actor=None)
            # The key's cancel-then-confirm runs on another thread (or process) and may have
            # gone out before this play arrived: the prompt would loop ahead of the queued
            # confirmation for ever. Cancel both; the cancelled confirmation ends the call.
            if answer_recorded(fresh.pk):
                cancel_media(call=fresh, actor=None)
        except DomainError as exc:
            with transaction.atomic():
                add_timeline_entry(
                    incident_id=fresh.incident_id, kind=TimelineKind.ERROR, text=exc.message
                )

    transaction.on_commit(lambda: run_aside(play))
