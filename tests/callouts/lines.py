"""Driving a call-out's call as the provider would: its callbacks are stored, then applied.

The work the applier hands aside after commit (provider requests) is returned, not run, so a
test can say when it runs, as the callback pipeline would later on another thread.
"""

import json
from collections.abc import Callable
from typing import Any

from callouts.models import Attempt
from calls.models import Call
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import Delivery
from tests.provider_callbacks import callback

Envelope = dict[str, Any]
Work = Callable[[], None]


def state(call: Call, kind: str) -> Envelope:
    """CallConnected or CallDisconnected, in the dialect in force."""
    return callback(kind, call=call)


def answered(call: Call) -> list[Envelope]:
    """The call connects and its one person is on it."""
    person = call.participants.get().identifier
    joined = callback("ParticipantsUpdated", call=call, people=[person])
    return [state(call, "CallConnected"), joined]


def tone(call: Call, key: str, who: str = "") -> Envelope:
    """`who` (by default the call's one person) pressed `key`."""
    person = who or call.participants.get().identifier
    return callback("ToneReceived", call=call, key=key, who=person)


def played(call: Call, context: str, *, failed: bool = False) -> Envelope:
    return callback("PlayFailed" if failed else "PlayCompleted", call=call, context=context)


def cancelled(call: Call, context: str) -> Envelope:
    return callback("PlayCanceled", call=call, context=context)


class Lines:
    """Delivers callbacks to the app and runs what it hands aside, committing as it goes."""

    def __init__(self, capture: Any) -> None:
        self.capture = capture  # pytest-django's django_capture_on_commit_callbacks

    def deliver(self, call: Call, *events: Envelope) -> list[Work]:
        body = json.dumps(list(events)).encode()
        assert store_callbacks([Delivery(call.pk, call.callback_secret, body)]) == [len(events)]
        aside: list[Work] = []
        with self.capture(execute=True):
            apply_pending_events(run_aside=aside.append)
        return aside

    def run(self, work: list[Work]) -> None:
        for item in work:
            with self.capture(execute=True):
                item()

    def press(self, call: Call, *keys: str) -> None:
        """Keys pressed, and what they trigger run."""
        self.run(self.deliver(call, *(tone(call, key) for key in keys)))


def attempt_of(call: Call) -> Attempt:
    return Attempt.objects.select_related("recipient__callout").get(call=call)
