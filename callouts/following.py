"""Following an attempt's call: the applier hands every event of a call-out's call here.

calls.services.applying calls `follow` for each event it applies to a call that belongs to an
attempt (after the call's own state has moved). Call state (answered, ended: the attempt is
settled) is callouts.services.settling's; key presses, the prompts they trigger and what an
answer does once the call ends are callouts.services.keypad's.
"""

from typing import Any

from callouts.models import Attempt
from calls import callback_events as ev
from calls.models import CallMode
from calls.services.call_batch import CallBatch


def attempt_of(batch: CallBatch) -> Attempt | None:
    """The attempt whose call this batch applies events to (locked); None for other calls."""
    if batch.call.mode != CallMode.BROADCAST:
        return None
    return (
        Attempt.objects.select_for_update(no_key=True, of=("self",))
        .select_related("recipient__callout")
        .filter(call=batch.call)
        .first()
    )


def follow(batch: CallBatch, attempt: Attempt, event: Any) -> None:
    """Let the call-out react to `event`, applied to `attempt`'s call in `batch`."""
    # Imported when called: calls.services imports this module, and these use calls.services.
    from callouts.services import keypad, settling

    if isinstance(event, ev.CallStateChanged):
        settling.on_call_state(batch, attempt, event)
        keypad.on_call_state(batch, attempt, event)  # an ended call rings a "join" into the bridge
    elif isinstance(event, ev.ToneReceived):
        keypad.on_key(batch, attempt, event)
    elif isinstance(event, ev.PlayResult):
        keypad.on_play_result(batch, attempt, event)
