"""The life of emulated calls: dialling, ringing, answering, the roster, invites and hanging up.

An outbound call is `Establishing` while its targets ring and becomes `Established` shortly after
the first of them answers (as the 2021 sample expected: it played its prompt on Established). The
application's own leg (the `source`) is a roster member. When no target or invitee is ringing or
connected any more, the call terminates: `Terminating`, then `Terminated`.
"""

import asyncio
import base64
from collections.abc import Mapping
from datetime import UTC, datetime

from acs_emulator.behaviours import BehaviourBook, Outcome, live
from acs_emulator.config import EmulatorConfig
from acs_emulator.errors import ApiError, not_found
from acs_emulator.identifiers import Identifier
from acs_emulator.media import MediaPlayer
from acs_emulator.payloads import CreateCallRequest, InviteRequest
from acs_emulator.reports import Reporter
from acs_emulator.state import (
    Call,
    CallState,
    Dialect,
    Operation,
    Participant,
    ParticipantState,
    ResultInfo,
    Role,
    new_id,
)
from acs_emulator.tasks import TaskSet

DIAL_DELAY_MS = 100  # between accepting the request and the first callback
ESTABLISH_DELAY_MS = 300  # media set-up after the first answer
TERMINATE_DELAY_MS = 200  # between Terminating and Terminated

# The preview documented no failure codes for invites; these are the matching SIP responses.
INVITE_FAILURES = {
    ParticipantState.BUSY: ResultInfo(486, 0, "The participant is busy."),
    ParticipantState.DECLINED: ResultInfo(603, 0, "The participant declined the call."),
    ParticipantState.NO_ANSWER: ResultInfo(408, 0, "The participant did not answer."),
    ParticipantState.REMOVED: ResultInfo(487, 0, "The invitation was cancelled."),
}
REFUSALS = {
    Outcome.BUSY: ParticipantState.BUSY,
    Outcome.DECLINE: ParticipantState.DECLINED,
    Outcome.NO_ANSWER: ParticipantState.NO_ANSWER,
}


def state_error(call: Call) -> ApiError:
    # The service answered 400 with code 8501 for actions on a call that is not established.
    if call.is_over:
        return ApiError(400, "8501", "Action is not allowed: the call has terminated.")
    return ApiError(400, "8501", "Action is not allowed: the call is not established yet.")


def conversation_id() -> str:
    """Like the service's: unpadded base64url of a conversation URL."""
    url = f"https://conv.acs-emulator.invalid/conv/{new_id()}"
    return base64.urlsafe_b64encode(url.encode("ascii")).decode("ascii").rstrip("=")


class Switchboard:
    def __init__(
        self,
        config: EmulatorConfig,
        behaviours: BehaviourBook,
        reporters: Mapping[Dialect, Reporter],
        media: MediaPlayer,
        tasks: TaskSet,
    ) -> None:
        self._config = config
        self._behaviours = behaviours
        self._reporters = reporters
        self._media = media
        self._tasks = tasks
        self._establishing: set[str] = set()
        self.calls: dict[str, Call] = {}

    def clear(self) -> None:
        """Forget every call (their tasks are cancelled by the owner of the TaskSet)."""
        self.calls.clear()
        self._establishing.clear()

    # Look-ups -----------------------------------------------------------------------------

    def get_call(self, call_leg_id: str) -> Call:
        call = self.calls.get(call_leg_id)
        if call is None:
            raise not_found(f"Call {call_leg_id} not found.")
        return call

    def get_participant(self, call: Call, participant_id: str) -> Participant:
        participant = call.participants.get(participant_id)
        if participant is None:
            raise not_found(f"Participant {participant_id} not found in call {call.call_leg_id}.")
        return participant

    def find_participant(self, call: Call, identifier: Identifier) -> Participant | None:
        """The newest leg of that person (a person called twice has two)."""
        legs = [p for p in call.participants.values() if p.identifier == identifier]
        return legs[-1] if legs else None

    def require_established(self, call: Call) -> None:
        if call.state is not CallState.ESTABLISHED:
            raise state_error(call)

    def _report(self, call: Call) -> Reporter:
        return self._reporters[call.dialect]

    # Operations of the ACS API --------------------------------------------------------------

    def create_call(self, request: CreateCallRequest) -> Call:
        call = Call(
            source=request.source,
            callback_uri=request.callback_uri,
            requested_events=request.requested_events,
            modalities=request.modalities,
            subject=request.subject,
            caller_id=request.caller_id,
            dialect=request.dialect,
            operation_context=request.operation_context,
            source_display_name=request.source_display_name,
        )
        if request.dialect is Dialect.GA:
            # GA knows the server call id from the start; 2021 named the conversation later.
            call.conversation_id = conversation_id()
        call.add(Participant(request.source, Role.APP, ParticipantState.CONNECTED))
        targets = [
            call.add(Participant(t, Role.TARGET, ParticipantState.RINGING)) for t in request.targets
        ]
        self.calls[call.call_leg_id] = call
        self._tasks.spawn(self._dial(call, targets), f"dial-{call.call_leg_id}")
        return call

    def hang_up(self, call: Call) -> None:
        if call.is_over:
            raise state_error(call)
        self._terminate(call)

    def invite(self, call: Call, request: InviteRequest) -> list[Participant]:
        self.require_established(call)
        live_ids = {p.identifier for p in call.participants.values() if p.state.is_live}
        for identifier in request.participants:
            if identifier in live_ids:
                raise ApiError(400, "BadRequest", f"{identifier.raw_id} is already in the call.")
        invitees = []
        for identifier in request.participants:
            invitee = Participant(
                identifier,
                Role.INVITEE,
                ParticipantState.RINGING,
                operation=Operation(request.operation_context, request.callback_uri),
            )
            invitees.append(call.add(invitee))
            self._ring(call, invitee)
        return invitees

    def remove(self, call: Call, participant: Participant, operation: Operation) -> None:
        self.require_established(call)
        if participant.role is Role.APP:
            raise ApiError(
                400, "BadRequest", "The application's own leg cannot be removed; use Hangup."
            )
        if not participant.state.is_live:
            raise not_found(f"Participant {participant.participant_id} is no longer in the call.")
        participant.removal = operation
        self._disconnect(call, participant, ParticipantState.REMOVED)

    def mute(self, call: Call, participant: Participant) -> None:
        self.require_established(call)
        if not participant.is_muted:
            participant.is_muted = True
            self._roster_changed(call)

    # Actions of simulated people (the control API) ------------------------------------------

    def press_tones(self, call: Call, participant: Participant, tones: str) -> None:
        if (
            call.state is not CallState.ESTABLISHED
            or participant.state is not ParticipantState.CONNECTED
        ):
            raise ApiError(
                409,
                "Conflict",
                "Only a connected participant of an established call can press keys.",
            )
        for tone in tones:
            self._tone(call, participant, tone)

    def participant_hang_up(self, call: Call, participant: Participant) -> None:
        """A remote person puts the phone down: leaves if connected, declines if still ringing."""
        if participant.role is Role.APP or call.is_over or not participant.state.is_live:
            raise ApiError(
                409, "Conflict", "Only a ringing or connected remote participant can hang up."
            )
        if participant.state is ParticipantState.RINGING:
            self._stop_script(participant)
            self._refused(call, participant, Outcome.DECLINE)
        else:
            self._disconnect(call, participant, ParticipantState.LEFT)

    # The call's life ------------------------------------------------------------------------

    async def _dial(self, call: Call, targets: list[Participant]) -> None:
        await self._config.pause(DIAL_DELAY_MS)
        if call.is_over:
            return
        self._report(call).dialling(call)
        for target in targets:
            self._ring(call, target)

    def _ring(self, call: Call, participant: Participant) -> None:
        behaviour = self._behaviours.get(participant.identifier.value)
        participant.behaviour = behaviour
        line = _Line(self, call, participant)
        script = live(behaviour, line, self._config.pause, self._config.ring_timeout_ms)
        participant.task = self._tasks.spawn(script, f"person-{participant.participant_id}")

    def _answered(self, call: Call, participant: Participant) -> None:
        if call.is_over or participant.state is not ParticipantState.RINGING:
            return
        participant.state = ParticipantState.CONNECTED
        if participant.role is Role.INVITEE:
            self._invite_result(call, participant, None)
        if call.state is CallState.ESTABLISHED:
            self._roster_changed(call)
        elif call.call_leg_id not in self._establishing:
            self._establishing.add(call.call_leg_id)
            self._tasks.spawn(self._establish(call), f"establish-{call.call_leg_id}")

    async def _establish(self, call: Call) -> None:
        try:
            await self._config.pause(ESTABLISH_DELAY_MS)
        finally:
            self._establishing.discard(call.call_leg_id)
        if call.state is not CallState.ESTABLISHING:
            return
        call.state = CallState.ESTABLISHED
        call.connected_at = datetime.now(UTC)
        call.conversation_id = call.conversation_id or conversation_id()
        self._report(call).connected(call)
        self._roster_changed(call)
        call.established.set()

    def _refused(self, call: Call, participant: Participant, outcome: Outcome) -> None:
        if call.is_over or participant.state is not ParticipantState.RINGING:
            return
        participant.state = REFUSALS[outcome]
        if participant.role is Role.INVITEE:
            self._invite_result(call, participant, INVITE_FAILURES[participant.state])
        self._end_if_alone(call)

    def _tone(self, call: Call, participant: Participant, tone: str) -> None:
        if (
            call.state is not CallState.ESTABLISHED
            or participant.state is not ParticipantState.CONNECTED
        ):
            return
        participant.tones += tone
        self._report(call).tone(call, participant, tone)

    def _left(self, call: Call, participant: Participant) -> None:
        if not call.is_over and participant.state is ParticipantState.CONNECTED:
            self._disconnect(call, participant, ParticipantState.LEFT)

    def _disconnect(self, call: Call, participant: Participant, state: ParticipantState) -> None:
        was_connected = participant.state is ParticipantState.CONNECTED
        self._stop_script(participant)
        participant.state = state
        if was_connected and state is ParticipantState.REMOVED:
            self._report(call).removed(call, participant)
        if was_connected:
            self._roster_changed(call)
        elif participant.role is Role.INVITEE:
            self._invite_result(call, participant, INVITE_FAILURES[ParticipantState.REMOVED])
        self._end_if_alone(call)

    def _end_if_alone(self, call: Call) -> None:
        if not call.is_over and not any(p.state.is_live for p in call.remotes()):
            self._terminate(call)

    def _terminate(self, call: Call) -> None:
        call.state = CallState.TERMINATING
        call.ended_at = datetime.now(UTC)
        self._report(call).terminating(call, _never_connected(call))
        for participant in call.participants.values():
            self._stop_script(participant)
            if participant.state.is_live:
                participant.state = ParticipantState.LEFT
        self._media.stop_all(call)
        self._tasks.spawn(self._finish_termination(call), f"terminate-{call.call_leg_id}")

    async def _finish_termination(self, call: Call) -> None:
        await self._config.pause(TERMINATE_DELAY_MS)
        call.state = CallState.TERMINATED
        self._report(call).terminated(call)

    # Events ---------------------------------------------------------------------------------

    def _roster_changed(self, call: Call) -> None:
        if call.state is CallState.ESTABLISHED:
            self._report(call).roster_changed(call)

    def _invite_result(self, call: Call, invitee: Participant, failure: ResultInfo | None) -> None:
        self._report(call).invite_result(call, invitee, failure)

    @staticmethod
    def _stop_script(participant: Participant) -> None:
        task = participant.task
        # A person's own script may be the caller (hanging up); it ends by itself.
        if task is not None and task is not asyncio.current_task():
            task.cancel()


def _never_connected(call: Call) -> ResultInfo | None:
    """Why a call that was never established ended: its first target's refusal."""
    if call.connected_at is not None:
        return None
    states = [p.state for p in call.targets()]
    return next(
        (INVITE_FAILURES[s] for s in states if s in INVITE_FAILURES),
        ResultInfo(487, 0, "The call was cancelled before it connected."),
    )


class _Line:
    """A ringing phone as its person sees it (behaviours.Line), wired to one participant."""

    def __init__(self, board: Switchboard, call: Call, participant: Participant) -> None:
        self._board = board
        self._call = call
        self._participant = participant

    def answer(self) -> None:
        self._board._answered(self._call, self._participant)

    async def connected(self) -> None:
        await self._call.established.wait()

    async def heard_message(self) -> None:
        await self._participant.heard_message.wait()

    def refuse(self, outcome: Outcome) -> None:
        self._board._refused(self._call, self._participant, outcome)

    def press(self, tone: str) -> None:
        self._board._tone(self._call, self._participant, tone)

    def hang_up(self) -> None:
        self._board._left(self._call, self._participant)
