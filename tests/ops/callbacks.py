"""A provider callback (in the dialect in force) for the ops tests, and its call."""

from datetime import UTC, datetime
from typing import Any

from calls.models import Call, CallState, ParticipantState
from tests.factories import CallFactory, ParticipantFactory
from tests.provider_callbacks import callback, event_type, post

__all__ = ["LEG", "T0", "event_type", "post", "ringing_call", "state_event"]

LEG = "0a1f0000-1111-2222-3333-444455556666"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def state_event(call: Call, kind: str) -> dict[str, Any]:
    """CallConnected or CallDisconnected, as the provider sends it now."""
    return callback(kind, call=call)


def ringing_call() -> Call:
    call = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHING)
    ParticipantFactory.create(call=call, identifier="+14255550101", state=ParticipantState.RINGING)
    return call
