"""The provider's events as the app sees them: typed and dialect-neutral.

The rest of the app matches on these classes and never on the provider's type strings or key
spelling; calls.callbacks parses today's wire format into them, and a later dialect
(CloudEvents, `/calling/callConnections`) only adds a parser.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class CallState(StrEnum):
    UNKNOWN = "unknown"  # also any state this parser does not know yet
    IDLE = "idle"
    INCOMING = "incoming"
    ESTABLISHING = "establishing"
    ESTABLISHED = "established"
    HOLD = "hold"
    UNHOLD = "unhold"
    TRANSFERRING = "transferring"
    REDIRECTING = "redirecting"
    TERMINATING = "terminating"
    TERMINATED = "terminated"


class MediaOutcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class CallbackEvent:
    event_id: str | None  # the preview sends null for most events
    event_time: datetime  # aware, UTC
    event_type: str  # the provider's string; for logs and storage, not for dispatch
    raw: dict[str, Any] = field(repr=False, compare=False)  # the envelope as received


@dataclass(frozen=True, kw_only=True)
class CallStateChanged(CallbackEvent):
    call_id: str
    state: CallState
    server_call_id: str | None  # set once the call is established


@dataclass(frozen=True)
class RosterEntry:
    identifier: str  # "+E164" or "8:..." like the identifiers the app sends
    participant_id: str  # what `remove_participant` takes
    is_muted: bool


@dataclass(frozen=True, kw_only=True)
class ParticipantsUpdated(CallbackEvent):
    call_id: str
    participants: tuple[RosterEntry, ...]  # the full roster, not a delta


@dataclass(frozen=True, kw_only=True)
class ToneReceived(CallbackEvent):
    call_id: str
    tone: str  # "0"-"9", "*", "#", "A"-"D", or "flash"
    sequence_id: int  # lets the receiver spot repeats and gaps


@dataclass(frozen=True, kw_only=True)
class PlayResult(CallbackEvent):
    call_id: str
    operation_context: str | None
    outcome: MediaOutcome
    code: int | None
    subcode: int | None
    message: str | None


@dataclass(frozen=True, kw_only=True)
class InviteResult(CallbackEvent):
    call_id: str
    operation_context: str | None
    succeeded: bool
    participants: tuple[str, ...]
    code: int | None
    subcode: int | None
    message: str | None


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(CallbackEvent):
    """An event type this parser does not know: returned, not rejected, so the receiver can log
    it and still answer 2xx; rejecting would make the provider retry an event we will never
    understand."""

    call_id: str | None  # best effort, from `data.CallLegId`


AnyCallbackEvent = (
    CallStateChanged | ParticipantsUpdated | ToneReceived | PlayResult | InviteResult | UnknownEvent
)
