"""The provider's events as the app sees them: typed and dialect-neutral.

The rest of the app matches on these classes and never on the provider's type strings or key
spelling: calls.callbacks parses the 2021 preview's Event Grid envelopes into them, and
calls.callbacks_ga the GA API's CloudEvents. Fields only GA fills have defaults (None, or
empty), so the 2021 events leave them out.
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
    """2021: CallLegStateChanged. GA: CallConnected (ESTABLISHED), CallDisconnected and
    CreateCallFailed/AnswerFailed/ConnectFailed (TERMINATED, the failure's code and message)."""

    call_id: str
    state: CallState
    server_call_id: str | None  # set once the call is established
    code: int | None = None
    subcode: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class RosterEntry:
    identifier: str  # "+E164" or "8:..." like the identifiers the app sends
    participant_id: str  # what `remove_participant` takes (GA: the raw id, "4:+E164")
    is_muted: bool
    is_on_hold: bool = False


@dataclass(frozen=True, kw_only=True)
class ParticipantsUpdated(CallbackEvent):
    call_id: str
    participants: tuple[RosterEntry, ...]  # the full roster, not a delta
    sequence_number: int | None = None  # GA: orders snapshots (a higher one is newer)


@dataclass(frozen=True, kw_only=True)
class ToneReceived(CallbackEvent):
    """2021: DtmfReceived (anyone on the call). GA: ContinuousDtmfRecognitionToneReceived, for
    the one participant whose recognition was started (start_continuous_dtmf): the event
    echoes that request's `operation_context`, and names them if the provider says who."""

    call_id: str
    tone: str  # "0"-"9", "*", "#", "A"-"D", or "flash"
    sequence_id: int  # lets the receiver spot repeats and gaps
    participant: str | None = None  # "+E164" or "8:...", when the event names them
    operation_context: str | None = None


@dataclass(frozen=True, kw_only=True)
class PlayStarted(CallbackEvent):
    """GA only: a play began (its PlayResult follows); the call is not idle yet."""

    call_id: str
    operation_context: str | None


@dataclass(frozen=True, kw_only=True)
class PlayResult(CallbackEvent):
    """2021: PlayAudioResult (a cancelled play: 400/8508). GA: PlayCompleted, PlayFailed,
    PlayCanceled."""

    call_id: str
    operation_context: str | None
    outcome: MediaOutcome
    code: int | None
    subcode: int | None
    message: str | None


@dataclass(frozen=True, kw_only=True)
class RecognizeResult(CallbackEvent):
    """GA only: RecognizeCompleted (COMPLETED, the keys collected), RecognizeFailed (FAILED,
    e.g. subcode 8510: nobody pressed anything) or RecognizeCanceled (CANCELLED)."""

    call_id: str
    operation_context: str | None
    outcome: MediaOutcome
    tones: tuple[str, ...]  # as ToneReceived.tone, in the order pressed
    code: int | None
    subcode: int | None
    message: str | None


@dataclass(frozen=True, kw_only=True)
class InviteResult(CallbackEvent):
    """2021: InviteParticipantResult. GA: AddParticipantSucceeded/Failed (one participant)."""

    call_id: str
    operation_context: str | None
    succeeded: bool
    participants: tuple[str, ...]
    code: int | None
    subcode: int | None
    message: str | None


@dataclass(frozen=True, kw_only=True)
class RemoveResult(CallbackEvent):
    """GA only: RemoveParticipantSucceeded/Failed."""

    call_id: str
    operation_context: str | None
    succeeded: bool
    participant: str | None
    code: int | None
    subcode: int | None
    message: str | None


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(CallbackEvent):
    """An event type this parser does not know: returned, not rejected, so the receiver can log
    it and still answer 2xx; rejecting would make the provider retry an event we will never
    understand."""

    call_id: str | None  # best effort, from `data.CallLegId` (GA: `data.callConnectionId`)


AnyCallbackEvent = (
    CallStateChanged
    | ParticipantsUpdated
    | ToneReceived
    | PlayStarted
    | PlayResult
    | RecognizeResult
    | InviteResult
    | RemoveResult
    | UnknownEvent
)
