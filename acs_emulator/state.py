"""In-memory state of emulated calls: plain data, changed by the switchboard and media player."""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from acs_emulator.behaviours import Behaviour
from acs_emulator.identifiers import Identifier


def new_id() -> str:
    return str(uuid.uuid4())


class Dialect(StrEnum):
    """Which API placed a call: its callbacks, ids and errors follow that API."""

    PREVIEW = "2021-04-15-preview1"
    GA = "ga"


class CallState(StrEnum):
    ESTABLISHING = "Establishing"
    ESTABLISHED = "Established"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"


class Role(StrEnum):
    APP = "app"  # the call's source: the application's own leg
    TARGET = "target"
    INVITEE = "invitee"


class ParticipantState(StrEnum):
    RINGING = "ringing"
    CONNECTED = "connected"
    BUSY = "busy"
    DECLINED = "declined"
    NO_ANSWER = "noAnswer"
    LEFT = "left"
    REMOVED = "removed"

    @property
    def is_live(self) -> bool:
        return self in (ParticipantState.RINGING, ParticipantState.CONNECTED)


class PlayStatus(StrEnum):
    NOT_STARTED = "notStarted"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # the call ended under it; no event is sent

    @property
    def is_pending(self) -> bool:
        return self in (PlayStatus.NOT_STARTED, PlayStatus.RUNNING)


class EventRequest(StrEnum):
    """Values of `requestedCallEvents`."""

    PARTICIPANTS_UPDATED = "participantsUpdated"
    DTMF_RECEIVED = "dtmfReceived"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DROPPED = "dropped"  # by fault injection


@dataclass(frozen=True)
class ResultInfo:
    code: int
    subcode: int
    message: str


@dataclass(frozen=True)
class Operation:
    """What an app's request asked to be told: its context, and where (GA's
    operationCallbackUri; None: the call's callback URI)."""

    context: str | None = None
    callback_uri: str | None = None


NO_OPERATION = Operation()


@dataclass(eq=False)
class Participant:
    identifier: Identifier
    role: Role
    state: ParticipantState
    behaviour: Behaviour | None = None
    operation: Operation = NO_OPERATION  # of the invite (add) that brought an invitee
    removal: Operation | None = None  # of the app's remove request, once made
    participant_id: str = field(default_factory=new_id)
    is_muted: bool = False
    tones: str = ""  # keys pressed so far, for the control API
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    # Set once a message the app plays reaches them (behaviours.ToneAnchor.MESSAGE).
    heard_message: asyncio.Event = field(default_factory=asyncio.Event, repr=False)


class SourceKind(StrEnum):
    FILE = "file"
    TEXT = "text"


@dataclass(frozen=True)
class PlaySource:
    """A file to fetch and play, or a text the emulator "speaks" (shown on its page)."""

    kind: SourceKind
    uri: str = ""
    text: str = ""
    locale: str | None = None
    voice: str | None = None

    @property
    def label(self) -> str:
        return self.uri if self.kind is SourceKind.FILE else f"“{self.text}”"


@dataclass(eq=False)
class PlayOperation:
    sources: tuple[PlaySource, ...]
    loop: bool
    operation_context: str | None
    audio_file_id: str | None = None
    # GA: participant ids that hear it (empty: everyone), and the operationCallbackUri.
    play_to: tuple[str, ...] = ()
    callback_uri: str | None = None
    # GA: a recognize's prompt reports no play events of its own.
    is_prompt: bool = False
    id: str = field(default_factory=new_id)
    status: PlayStatus = PlayStatus.NOT_STARTED
    duration_s: float | None = None
    result: ResultInfo | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def audio_file_uri(self) -> str:
        return next((s.uri for s in self.sources if s.kind is SourceKind.FILE), "")

    @property
    def operation(self) -> Operation:
        return Operation(self.operation_context, self.callback_uri)


@dataclass(eq=False)
class Recognition:
    """A GA DTMF recognize on one participant: its prompt plays, then keys are collected."""

    participant_id: str
    operation: Operation
    max_tones: int
    inter_tone_timeout_s: float
    initial_silence_timeout_s: float
    stop_tones: frozenset[str]
    interrupt_prompt: bool
    prompt: PlayOperation | None = None
    tones: list[str] = field(default_factory=list)
    listening: bool = False  # the prompt is over (or was interrupted): timeouts run
    timer: asyncio.Task[None] | None = field(default=None, repr=False)


@dataclass(eq=False)
class Delivery:
    envelope: dict[str, object]
    uri: str = ""
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    copies: int = 1
    delay_ms: int = 0  # held back this long first (fault injection)


@dataclass(eq=False)
class Call:
    source: Identifier
    callback_uri: str
    requested_events: frozenset[EventRequest]
    modalities: tuple[str, ...]
    subject: str | None = None
    caller_id: Identifier | None = None
    dialect: Dialect = Dialect.PREVIEW
    operation_context: str | None = None
    source_display_name: str | None = None
    call_leg_id: str = field(default_factory=new_id)  # GA: the callConnectionId
    correlation_id: str = field(default_factory=new_id)
    # GA: the issuer of the callbacks' JWTs, fixed when the call is created.
    token_issuer: str | None = None
    state: CallState = CallState.ESTABLISHING
    conversation_id: str | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    plays: dict[str, PlayOperation] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    tone_sequence: int = 0
    roster_sequence: int = 0
    # GA: continuous DTMF recognition per participant id, and the one running recognize.
    continuous_dtmf: dict[str, Operation] = field(default_factory=dict)
    recognition: Recognition | None = None
    # Set after each delivered callback (for faults that hold a response until one arrives).
    delivered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    # Set once Established: a person who answered waits for it before pressing keys or leaving.
    established: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The moments a pacing check needs: Established, and the start of Terminating (the phone line
    # is free from then on; Terminated only follows after the service's clean-up).
    connected_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def is_over(self) -> bool:
        return self.state in (CallState.TERMINATING, CallState.TERMINATED)

    def wants(self, event: EventRequest) -> bool:
        return event in self.requested_events

    def add(self, participant: Participant) -> Participant:
        self.participants[participant.participant_id] = participant
        return participant

    def roster(self) -> list[Participant]:
        """Who is in the call now: only connected participants appear in ParticipantsUpdated."""
        return [p for p in self.participants.values() if p.state is ParticipantState.CONNECTED]

    def targets(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.role is Role.TARGET]

    def remotes(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.role is not Role.APP]

    def message_reaches(self, play_to: tuple[str, ...] = ()) -> None:
        """A play started: the remote participants it plays to (by participant id; everyone
        if empty) have heard a message."""
        for participant in self.remotes():
            if not play_to or participant.participant_id in play_to:
                participant.heard_message.set()

    def pending_plays(self) -> list[PlayOperation]:
        return [play for play in self.plays.values() if play.status.is_pending]
