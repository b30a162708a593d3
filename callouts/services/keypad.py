"""Keys pressed on a call-out's call: record the answer, confirm it aloud, end or connect."""

from callouts.models import Attempt
from calls import callback_events as ev
from calls.services.call_batch import CallBatch


def on_key(batch: CallBatch, attempt: Attempt, event: ev.ToneReceived) -> None:
    """The person on `attempt`'s call pressed a key."""


def on_play_result(batch: CallBatch, attempt: Attempt, event: ev.PlayResult) -> None:
    """A play on `attempt`'s call finished, failed or was cancelled."""
