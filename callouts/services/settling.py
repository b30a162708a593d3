"""Settling attempts: how each ended, what that means for its recipient, what comes next."""

from callouts.models import Attempt
from calls import callback_events as ev
from calls.services.call_batch import CallBatch


def on_call_state(batch: CallBatch, attempt: Attempt, event: ev.CallStateChanged) -> None:
    """The attempt's call moved (the applier has moved the Call itself already)."""
