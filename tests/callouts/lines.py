"""Driving a call-out's call as the provider would: its callbacks are stored, then applied.

The work the applier hands aside after commit (provider requests) is returned, not run, so a
test can say when it runs, as the callback pipeline would later on another thread.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

from callouts.models import Attempt
from calls.models import Call
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import Delivery

Envelope = dict[str, Any]
Work = Callable[[], None]
_sequence = count(1)  # every tone is a new press, never a redelivery


def envelope(call: Call, kind: str, event_type: str, data: dict[str, Any]) -> Envelope:
    """An Event Grid envelope as the 2021 preview sends it (PascalCase data)."""
    leg = call.provider_call_id
    return {
        "id": None,
        "topic": None,
        "subject": f"callLeg/{leg}/{kind}",
        "eventType": f"Microsoft.Communication.{event_type}",
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
        "data": {"CallLegId": leg, **data},
        "metadataVersion": None,
        "dataVersion": None,
    }


def state(call: Call, value: str) -> Envelope:
    return envelope(call, "callState", "CallLegStateChanged", {"CallState": value})


def answered(call: Call) -> list[Envelope]:
    """The call connects and its one person is on it."""
    person = call.participants.get().identifier
    roster = [
        {
            "Identifier": {"RawId": "4:" + person, "PhoneNumber": {"Value": person}},
            "ParticipantId": f"pid-{person}",
            "IsMuted": False,
        }
    ]
    joined = envelope(call, "participantsUpdated", "ParticipantsUpdated", {"Participants": roster})
    return [state(call, "Established"), joined]


def tone(call: Call, key: str) -> Envelope:
    info = {
        "SequenceId": next(_sequence),
        "Tone": {"*": "Star", "#": "Pound"}.get(key, f"Tone{key}"),
    }
    return envelope(call, "dtmf", "DtmfReceived", {"ToneInfo": info})


def played(call: Call, context: str, *, failed: bool = False) -> Envelope:
    code, status = (500, "Failed") if failed else (200, "Completed")
    data = {
        "ResultInfo": {"Code": code, "Subcode": 0, "Message": "Done."},
        "OperationContext": context,
        "Status": status,
    }
    return envelope(call, "playAudio", "PlayAudioResult", data)


def cancelled(call: Call, context: str) -> Envelope:
    """The documented quirk: Status Completed with 400/8508."""
    event = played(call, context)
    event["data"]["ResultInfo"] = {"Code": 400, "Subcode": 8508, "Message": "Cancelled."}
    return event


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
