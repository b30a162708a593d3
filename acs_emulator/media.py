"""PlayAudio and CancelMediaProcessing: plays run one after another per call, like a queue.

A play is `notStarted` until the plays before it finish, then `running` while its file is fetched,
checked and "played" for its duration (scaled); a looping play runs until cancelled. Cancelling
reports every unfinished play as the documented quirk: Status Completed, Code 400, Subcode 8508.
"""

import asyncio

from acs_emulator import events
from acs_emulator.audio import AudioError, load_prompt
from acs_emulator.callbacks import CallbackDispatcher
from acs_emulator.config import EmulatorConfig
from acs_emulator.fields import JsonObject
from acs_emulator.state import Call, PlayOperation, PlayStatus, ResultInfo, new_id
from acs_emulator.tasks import TaskSet
from acs_emulator.transport import Transport

PLAYED = ResultInfo(200, 0, "Action completed successfully.")
CANCELLED = ResultInfo(400, 8508, "Action failed, the operation was cancelled.")


def operation_json(
    operation_id: str, status: str, context: str | None, result: ResultInfo | None
) -> JsonObject:
    """The operation object PlayAudio and CancelMediaProcessing answer with."""
    return {
        "id": operation_id,
        "status": status,
        "operationContext": context,
        "resultInfo": events.result_info_json(result),
    }


class MediaPlayer:
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

    def play(self, call: Call, play: PlayOperation) -> JsonObject:
        previous = [p.task for p in call.pending_plays() if p.task is not None]
        call.plays[play.id] = play
        play.task = self._tasks.spawn(self._run(call, play, previous), f"play-{play.id}")
        # Issue 3 pins the documentation's `notStarted` (recorded services said `running`).
        return operation_json(play.id, PlayStatus.NOT_STARTED.value, play.operation_context, None)

    def cancel(self, call: Call, context: str | None) -> JsonObject:
        for play in call.pending_plays():
            self._finish(call, play, PlayStatus.CANCELLED, CANCELLED)
            if play.task is not None:
                play.task.cancel()
        return operation_json(new_id(), "completed", context, None)

    def stop_all(self, call: Call) -> None:
        """The call ended: stop plays without reporting them."""
        for play in call.pending_plays():
            play.status = PlayStatus.STOPPED
            if play.task is not None:
                play.task.cancel()

    async def _run(
        self, call: Call, play: PlayOperation, previous: list[asyncio.Task[None]]
    ) -> None:
        if previous:
            await asyncio.wait(previous)
        play.status = PlayStatus.RUNNING
        call.message_reaches()
        try:
            prompt = await load_prompt(self._transport, play.audio_file_uri, self._config)
        except AudioError as exc:
            self._finish(call, play, PlayStatus.FAILED, ResultInfo(400, exc.subcode, exc.message))
            return
        play.duration_s = prompt.duration_s
        if play.loop:
            await asyncio.Event().wait()  # until cancelled or the call ends
        await asyncio.sleep(self._config.time_scale * prompt.duration_s)
        self._finish(call, play, PlayStatus.COMPLETED, PLAYED)

    def _finish(
        self, call: Call, play: PlayOperation, status: PlayStatus, result: ResultInfo
    ) -> None:
        play.status = status
        play.result = result
        # A cancelled play still reports Status "Completed" (documented quirk, reference 1.3).
        reported = "Failed" if status is PlayStatus.FAILED else "Completed"
        self._dispatcher.send(call, events.play_audio_result(call, play, reported))
