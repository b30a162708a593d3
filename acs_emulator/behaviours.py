"""Simulated people: what each phone does when it rings, scripted per number or ACS id."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from acs_emulator.errors import bad_request
from acs_emulator.fields import JsonObject, optional_int, optional_str, reject_unknown

# A busy line answers with a busy signal almost at once.
BUSY_AFTER_MS = 500
# Gap between two keys pressed by a scripted person.
TONE_GAP_MS = 200
MAX_DELAY_MS = 24 * 3600 * 1000
# A voicemail greeting plus the longest message it takes, unless a script says otherwise.
VOICEMAIL_HANG_UP_AFTER_MS = 20_000
TONES = re.compile(r"^[0-9*#A-Da-d]*$")


class ToneAnchor(StrEnum):
    """What a scripted person's `tonesAfterMs` counts from."""

    ANSWER = "answer"  # the call's Established: keys pressed whatever is playing
    # The first message the app plays to them: a person presses once told to, so keys pressed
    # before the app listens (a slow app) are lost, as they would be with real people.
    MESSAGE = "message"


class Outcome(StrEnum):
    ANSWER = "answer"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    DECLINE = "decline"
    # Answers like a person, presses nothing, and hangs up after a while: an answering machine.
    VOICEMAIL = "voicemail"


@dataclass(frozen=True)
class Behaviour:
    outcome: Outcome = Outcome.ANSWER
    answer_after_ms: int = 2_000
    tones: str = ""
    tones_after_ms: int = 1_000
    tones_after: ToneAnchor = ToneAnchor.ANSWER
    hang_up_after_ms: int | None = None  # None: stays until the call ends

    def to_json(self) -> JsonObject:
        return {
            "outcome": self.outcome.value,
            "answerAfterMs": self.answer_after_ms,
            "tones": self.tones,
            "tonesAfterMs": self.tones_after_ms,
            "tonesAfter": self.tones_after.value,
            "hangUpAfterMs": self.hang_up_after_ms,
        }


BEHAVIOUR_FIELDS = (
    "outcome",
    "answerAfterMs",
    "tones",
    "tonesAfterMs",
    "tonesAfter",
    "hangUpAfterMs",
)


def parse_behaviour(obj: JsonObject, default_answer_after_ms: int) -> Behaviour:
    """Validate a `PUT /emulator/behaviours/{target}` body; raise a 400 ApiError."""
    reject_unknown(obj, BEHAVIOUR_FIELDS, "behaviour")
    outcome_text = optional_str(obj, "outcome") or Outcome.ANSWER.value
    try:
        outcome = Outcome(outcome_text)
    except ValueError:
        choices = ", ".join(o.value for o in Outcome)
        raise bad_request(f"'outcome' must be one of: {choices}.") from None
    tones = optional_str(obj, "tones") or ""
    if not TONES.match(tones):
        raise bad_request("'tones' may only hold 0-9, *, # and A-D.")
    anchor_text = optional_str(obj, "tonesAfter") or ToneAnchor.ANSWER.value
    try:
        anchor = ToneAnchor(anchor_text)
    except ValueError:
        choices = ", ".join(a.value for a in ToneAnchor)
        raise bad_request(f"'tonesAfter' must be one of: {choices}.") from None
    hang_up_after_ms = optional_int(obj, "hangUpAfterMs", None, low=0, high=MAX_DELAY_MS)
    if outcome is Outcome.VOICEMAIL:
        if tones:
            raise bad_request("A voicemail presses no keys: leave out 'tones'.")
        if hang_up_after_ms is None:
            hang_up_after_ms = VOICEMAIL_HANG_UP_AFTER_MS
    return Behaviour(
        outcome=outcome,
        answer_after_ms=_delay(obj, "answerAfterMs", default_answer_after_ms),
        tones=tones.upper(),
        tones_after_ms=_delay(obj, "tonesAfterMs", Behaviour.tones_after_ms),
        tones_after=anchor,
        hang_up_after_ms=hang_up_after_ms,
    )


def _delay(obj: JsonObject, key: str, default: int) -> int:
    value = optional_int(obj, key, default, low=0, high=MAX_DELAY_MS)
    return default if value is None else value


class BehaviourBook:
    """Scripted behaviours by identifier value (E.164 number or ACS id); others get the default."""

    def __init__(self, default: Behaviour) -> None:
        self.default = default
        self._scripts: dict[str, Behaviour] = {}

    def get(self, key: str) -> Behaviour:
        return self._scripts.get(key, self.default)

    def set(self, key: str, behaviour: Behaviour) -> None:
        self._scripts[key] = behaviour

    def delete(self, key: str) -> bool:
        return self._scripts.pop(key, None) is not None

    def clear(self) -> None:
        self._scripts.clear()

    def to_json(self) -> JsonObject:
        return {
            "default": self.default.to_json(),
            "behaviours": {key: b.to_json() for key, b in sorted(self._scripts.items())},
        }


class Line(Protocol):
    """One ringing phone, as the person holding it sees it."""

    def answer(self) -> None: ...
    async def connected(self) -> None: ...
    async def heard_message(self) -> None: ...
    def refuse(self, outcome: Outcome) -> None: ...
    def press(self, tone: str) -> None: ...
    def hang_up(self) -> None: ...


Pause = Callable[[float], Awaitable[None]]
Steps = list[tuple[int, Callable[[], None]]]  # (ms from the start, what the person does)


async def live(behaviour: Behaviour, line: Line, pause: Pause, ring_timeout_ms: int) -> None:
    """Ring, then follow the behaviour. Cancelled from outside when the call or leg ends."""
    outcome = behaviour.outcome
    if outcome is Outcome.BUSY:
        await pause(BUSY_AFTER_MS)
        line.refuse(Outcome.BUSY)
        return
    if outcome is Outcome.NO_ANSWER or behaviour.answer_after_ms >= ring_timeout_ms:
        await pause(ring_timeout_ms)
        line.refuse(Outcome.NO_ANSWER)
        return
    await pause(behaviour.answer_after_ms)
    if outcome is Outcome.DECLINE:
        line.refuse(Outcome.DECLINE)
        return
    line.answer()
    # Media set-up takes a moment after the answer; keys and hang-up count from Established.
    await line.connected()
    await _after_answer(behaviour, line, pause)


async def _after_answer(behaviour: Behaviour, line: Line, pause: Pause) -> None:
    presses: Steps = [
        (behaviour.tones_after_ms + i * TONE_GAP_MS, _presser(line, tone))
        for i, tone in enumerate(behaviour.tones)
    ]
    hang_up: Steps = []
    if behaviour.hang_up_after_ms is not None:
        hang_up.append((behaviour.hang_up_after_ms, line.hang_up))
    if behaviour.tones_after is ToneAnchor.ANSWER:
        await _follow([*presses, *hang_up], pause)
        return

    # The hang-up still counts from Established; the keys wait for the message.
    async def press_once_told() -> None:
        await line.heard_message()
        await _follow(presses, pause)

    await asyncio.gather(press_once_told(), _follow(hang_up, pause))


async def _follow(steps: Steps, pause: Pause) -> None:
    elapsed = 0
    # Stable sort: a key pressed at the same moment as the hang-up still gets through.
    for at_ms, step in sorted(steps, key=lambda s: s[0]):
        await pause(at_ms - elapsed)
        elapsed = at_ms
        step()


def _presser(line: Line, tone: str) -> Callable[[], None]:
    return lambda: line.press(tone)
