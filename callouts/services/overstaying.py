"""Calls that outstay their answer: hung up by the app, so every attempt ends and frees its line.

An answered call plays its message in a loop until a key answers it. Someone who never presses
(an answering machine records the message; a person puts the phone down without hanging up)
would hold the caller number's line for ever, and the call-out would never finish: the answer
window (the policy's `answer_window_seconds`, from the answer) ends such a call, which settles
as answered without a key. After an answering key the spoken confirmation's end hangs up
(callouts.services.keypad); if that chain is lost (a worker killed between the key and the
hang-up, a result event that never came), the confirmation's grace ends it here.

Both set the attempt's `hang_up_at`; this sweep, run by every worker after each ring sweep,
hangs up each call past it. Several workers may hang up the same call: the provider ends it once.
"""

import logging
from datetime import datetime

from django.utils import timezone

from callouts.models import Attempt
from callouts.services.keypad import hung_up_after_answer
from callouts.services.waking import wake_waiting_callouts
from calls.errors import ProviderFailed
from calls.models import CallState
from calls.services.actions import hang_up_call

logger = logging.getLogger(__name__)


def hang_up_overstaying(*, now: datetime | None = None) -> int:
    """Hang up every call-out call still up past its attempt's `hang_up_at`; return how many.
    A hang-up the provider fails is logged and tried again on the next sweep. Raises nothing
    of its own."""
    overstaying = (
        Attempt.objects.filter(
            ended_at__isnull=True,
            hang_up_at__lt=now or timezone.now(),
            call__state__in=(CallState.ESTABLISHING, CallState.ESTABLISHED),
        )
        .exclude(call__provider_call_id="")
        .select_related("call", "recipient")
        .order_by("hang_up_at")
    )
    hung_up = 0
    for attempt in list(overstaying):
        try:
            hang_up_call(call=attempt.call, actor=None, said=_why(attempt))
        except ProviderFailed:
            logger.warning("Could not hang up call %s; will try again.", attempt.call_id)
        else:
            hung_up += 1
    if hung_up:  # their lines are free from now (callouts.services.pacing)
        wake_waiting_callouts(now=timezone.now())
    return hung_up


def _why(attempt: Attempt) -> str:
    if attempt.outcome:
        return hung_up_after_answer(attempt)
    return f"Hung up {attempt.recipient}'s call: answered, but no answering key was pressed."
