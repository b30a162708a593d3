"""GA media: play (file and text sources), recognize DTMF with a prompt, continuous DTMF and
cancel-all, reported as GA events (reference 3.6).

Plays and recognize prompts share one queue per call with the 2021 plays (`call.plays`). A file
is fetched and checked like a 2021 prompt and lasts as long as its audio; a text source is not
synthesised: the emulator's page shows it, and it lasts `len(text) / TEXT_CHARACTERS_PER_SECOND`
seconds, scaled like every delay. A recognize prompt reports no play events of its own.
"""

import asyncio

from acs_emulator.audio import AudioError, load_prompt
from acs_emulator.callbacks import CallbackDispatcher
from acs_emulator.config import EmulatorConfig
from acs_emulator.errors import ApiError
from acs_emulator.fields import JsonObject
from acs_emulator.ga_events import OK, cloud_event
from acs_emulator.ga_payloads import TONE_NAMES, PlayRequest, RecognizeRequest
from acs_emulator.media import CANCELLED
from acs_emulator.state import (
    Call,
    Operation,
    Participant,
    PlayOperation,
    PlayStatus,
    Recognition,
    ResultInfo,
    SourceKind,
)
from acs_emulator.tasks import TaskSet
from acs_emulator.transport import Transport

# About 150 words a minute, as a text-to-speech voice speaks.
TEXT_CHARACTERS_PER_SECOND = 15
MAX_TONES = ResultInfo(200, 8531, "Action completed, max digits received.")
STOP_TONE = ResultInfo(200, 8514, "Action completed, stop tone detected.")
INTER_TONE_TIMEOUT = ResultInfo(200, 8532, "Action completed, interdigit timeout reached.")
SILENCE_TIMEOUT = ResultInfo(400, 8510, "Action failed, initial silence timeout reached.")


class SourceFailed(Exception):
    def __init__(self, index: int, error: AudioError) -> None:
        super().__init__(error.message)
        self.index = index
        self.result = ResultInfo(400, error.subcode, error.message)


class GaMedia:
    def __init__(
        self,
        config: EmulatorConfig,
        transport: Transport,
        dispatcher: CallbackDispatcher,
        tasks: TaskSet,
    ) -> None:
        self._config = config
        self._transport = transport
        self._dispatcher = dispatcher
        self._tasks = tasks

    def _send(
        self,
        call: Call,
        name: str,
        operation: Operation,
        result: ResultInfo,
        extra: JsonObject | None = None,
    ) -> None:
        event = cloud_event(call, name, extra, operation, result)
        self._dispatcher.send(call, event, operation.callback_uri)

    # Play ---------------------------------------------------------------------------------

    def play(self, call: Call, request: PlayRequest, play_to: tuple[str, ...]) -> PlayOperation:
        if request.interrupt:
            self._cancel_plays(call)
        operation = request.operation
        play = PlayOperation(
            request.sources,
            request.loop,
            operation.context,
            play_to=play_to,
            callback_uri=operation.callback_uri,
        )
        self._queue(call, play)
        return play

    def _queue(self, call: Call, play: PlayOperation) -> None:
        previous = [p.task for p in call.pending_plays() if p.task is not None]
        call.plays[play.id] = play
        play.task = self._tasks.spawn(self._run(call, play, previous), f"play-{play.id}")

    async def _run(
        self, call: Call, play: PlayOperation, previous: list[asyncio.Task[None]]
    ) -> None:
        if previous:
            await asyncio.wait(previous)
        play.status = PlayStatus.RUNNING
        call.message_reaches(play.play_to)
        if not play.is_prompt:
            self._send(call, "PlayStarted", play.operation, OK)
        try:
            play.duration_s = await self._duration(play)
        except SourceFailed as failed:
            self._played(call, play, PlayStatus.FAILED, failed.result, failed.index)
            return
        if play.loop:
            await asyncio.Event().wait()  # until cancelled or the call ends
        await asyncio.sleep(self._config.time_scale * play.duration_s)
        self._played(call, play, PlayStatus.COMPLETED, OK, None)

    async def _duration(self, play: PlayOperation) -> float:
        total = 0.0
        for index, source in enumerate(play.sources):
            if source.kind is SourceKind.TEXT:
                total += len(source.text) / TEXT_CHARACTERS_PER_SECOND
                continue
            try:
                total += (await load_prompt(self._transport, source.uri, self._config)).duration_s
            except AudioError as exc:
                raise SourceFailed(index, exc) from exc
        return total

    def _played(
        self,
        call: Call,
        play: PlayOperation,
        status: PlayStatus,
        result: ResultInfo,
        failed_index: int | None,
    ) -> None:
        play.status = status
        play.result = result
        if play.is_prompt:
            self._prompt_played(call, play, failed_index)
        elif status is PlayStatus.COMPLETED:
            self._send(call, "PlayCompleted", play.operation, result)
        else:
            extra: JsonObject = {"failedPlaySourceIndex": failed_index}
            self._send(call, "PlayFailed", play.operation, result, extra)

    def _cancel_plays(self, call: Call) -> None:
        for play in call.pending_plays():
            _stop(play, PlayStatus.CANCELLED)
            play.result = CANCELLED
            if not play.is_prompt:
                self._send(call, "PlayCanceled", play.operation, CANCELLED)

    # Recognize ----------------------------------------------------------------------------

    def recognize(self, call: Call, request: RecognizeRequest, participant: Participant) -> None:
        if call.recognition is not None:
            raise ApiError(400, "BadRequest", "A recognize is already running on this call.")
        if request.interrupt:
            self._cancel_plays(call)
        recognition = Recognition(
            participant.participant_id,
            request.operation,
            max_tones=request.max_tones,
            inter_tone_timeout_s=request.inter_tone_timeout_s,
            initial_silence_timeout_s=request.initial_silence_timeout_s,
            stop_tones=request.stop_tones,
            interrupt_prompt=request.interrupt_prompt,
        )
        call.recognition = recognition
        if not request.prompts:
            self._listen(call, recognition)
            return
        recognition.prompt = PlayOperation(
            request.prompts,
            False,
            request.operation.context,
            play_to=(participant.participant_id,),
            callback_uri=request.operation.callback_uri,
            is_prompt=True,
        )
        self._queue(call, recognition.prompt)

    def _prompt_played(self, call: Call, prompt: PlayOperation, failed_index: int | None) -> None:
        recognition = call.recognition
        if recognition is None or recognition.prompt is not prompt:
            return
        if prompt.status is PlayStatus.COMPLETED:
            self._listen(call, recognition)
            return
        self._end(call, recognition)
        extra: JsonObject = {"failedPlaySourceIndex": failed_index}
        result = prompt.result or SILENCE_TIMEOUT
        self._send(call, "RecognizeFailed", recognition.operation, result, extra)

    def _listen(self, call: Call, recognition: Recognition) -> None:
        recognition.listening = True
        if recognition.tones:
            self._arm(call, recognition, recognition.inter_tone_timeout_s)
        else:
            self._arm(call, recognition, recognition.initial_silence_timeout_s)

    def _arm(self, call: Call, recognition: Recognition, seconds: float) -> None:
        if recognition.timer is not None:
            recognition.timer.cancel()
        timer = self._timeout(call, recognition, seconds)
        recognition.timer = self._tasks.spawn(timer, f"recognize-{call.call_leg_id}")

    async def _timeout(self, call: Call, recognition: Recognition, seconds: float) -> None:
        await self._config.pause(seconds * 1000)
        if call.recognition is not recognition:
            return
        recognition.timer = None
        if recognition.tones:
            self._recognized(call, recognition, INTER_TONE_TIMEOUT)
        else:
            self._end(call, recognition)
            self._send(call, "RecognizeFailed", recognition.operation, SILENCE_TIMEOUT)

    def _recognized(self, call: Call, recognition: Recognition, result: ResultInfo) -> None:
        self._end(call, recognition)
        extra: JsonObject = {"recognitionType": "dtmf", "dtmfResult": {"tones": recognition.tones}}
        self._send(call, "RecognizeCompleted", recognition.operation, result, extra)

    def _end(self, call: Call, recognition: Recognition) -> None:
        call.recognition = None
        timer = recognition.timer
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        prompt = recognition.prompt
        if prompt is not None and prompt.status.is_pending:
            _stop(prompt, PlayStatus.CANCELLED)

    # Keys ---------------------------------------------------------------------------------

    def tone(self, call: Call, participant: Participant, tone: str) -> None:
        """A key pressed by a connected participant of a connected GA call."""
        name = TONE_NAMES[tone]
        recognition = call.recognition
        if recognition is not None and recognition.participant_id == participant.participant_id:
            self._collect(call, recognition, name)
        operation = call.continuous_dtmf.get(participant.participant_id)
        if operation is not None:
            call.tone_sequence += 1
            extra: JsonObject = {
                "sequenceId": call.tone_sequence,
                "tone": name,
                "participant": participant.identifier.to_ga_json(),
            }
            self._send(call, "ContinuousDtmfRecognitionToneReceived", operation, OK, extra)

    def _collect(self, call: Call, recognition: Recognition, name: str) -> None:
        if name in recognition.stop_tones:
            self._recognized(call, recognition, STOP_TONE)
            return
        recognition.tones.append(name)
        if len(recognition.tones) >= recognition.max_tones:
            self._recognized(call, recognition, MAX_TONES)
            return
        prompt = recognition.prompt
        if not recognition.listening and prompt is not None and recognition.interrupt_prompt:
            _stop(prompt, PlayStatus.CANCELLED)
            self._listen(call, recognition)
        elif recognition.listening:
            self._arm(call, recognition, recognition.inter_tone_timeout_s)

    def start_continuous(self, call: Call, participant: Participant, operation: Operation) -> None:
        call.continuous_dtmf[participant.participant_id] = operation

    def stop_continuous(self, call: Call, participant: Participant, operation: Operation) -> None:
        if call.continuous_dtmf.pop(participant.participant_id, None) is not None:
            self._send(call, "ContinuousDtmfRecognitionStopped", operation, OK)

    # Cancel and end -----------------------------------------------------------------------

    def cancel_all(self, call: Call) -> None:
        recognition = call.recognition
        self._cancel_plays(call)
        if recognition is not None:
            self._end(call, recognition)
            self._send(call, "RecognizeCanceled", recognition.operation, CANCELLED)

    def stop(self, call: Call) -> None:
        """The call ends: recognition stops without a report (plays stop with the call)."""
        recognition = call.recognition
        if recognition is not None:
            self._end(call, recognition)
        call.continuous_dtmf.clear()


def _stop(play: PlayOperation, status: PlayStatus) -> None:
    play.status = status
    if play.task is not None and play.task is not asyncio.current_task():
        play.task.cancel()
