"""What a call-out adds to its incident's timeline: one line per attempt's outcome, and its end.

Its attempts' calls are quiet (calls.services.announcements): their own lines (placed,
ringing, connected, joined, pressed, ended...) are not written, so these say what became of
each try. A key's answer is told when it is pressed (callouts.services.keypad), before what it
may trigger (a quorum's stop); any other outcome when the attempt settles
(callouts.services.settling). Cancelled attempts get no line of their own: the stop's line
counts them (callouts.services.stopping). Each is written in the caller's transaction.
"""

from datetime import timedelta

from callouts.models import Attempt, Callout, Outcome, Recipient, RecipientStatus
from callouts.selectors import callout_progress
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry

# How an attempt not answered by key went, as "<name> <this> (attempt ...)".
_NOT_ANSWERED = {
    Outcome.NO_ANSWER: "not reached: no answer",
    Outcome.BUSY: "not reached: busy",
    Outcome.DECLINED: "not reached: declined the call",
    Outcome.ANSWERED_NO_KEY: "not reached: answered but pressed no key",
}
# The statuses a finished call-out's line counts, in this order.
_FINISHED_COUNTS = (
    RecipientStatus.ACKNOWLEDGED,
    RecipientStatus.DECLINED,
    RecipientStatus.NOT_REACHED,
    RecipientStatus.FAILED,
)


def tell_answer(*, attempt: Attempt, callout: Callout, said: str, key: str) -> None:
    """ "Ada Lovelace acknowledged (attempt 1 of 3, key 1)." """
    add_timeline_entry(
        incident_id=callout.incident_id,
        kind=TimelineKind.KEYPRESS,
        text=f"{attempt.recipient} {said} ({_which(attempt, callout)}, key {key}).",
    )


def tell_outcome(*, attempt: Attempt, recipient: Recipient, callout: Callout) -> None:
    """The line of a settled attempt, with what comes next for its recipient: "Ada Lovelace
    not reached: no answer (attempt 2 of 3; next try in 5 min)." Nothing for a key's answer
    (told when pressed) or a cancelled attempt (the stop's line counts them)."""
    outcome = Outcome(attempt.outcome)
    which = _which(attempt, callout)
    retry_at, ended_at = recipient.next_attempt_at, attempt.ended_at
    if recipient.status == RecipientStatus.PENDING and retry_at and ended_at:
        which += f"; next try in {_wait(retry_at - ended_at)}"
    if outcome == Outcome.FAILED:
        reason = attempt.provider_message.rstrip(".") or "the provider gave no reason"
        code = f", code {attempt.provider_code}" if attempt.provider_code else ""
        add_timeline_entry(
            incident_id=callout.incident_id,
            kind=TimelineKind.ERROR,
            text=f"{recipient} could not be called: {reason} ({which}{code}).",
        )
    elif outcome in _NOT_ANSWERED:
        add_timeline_entry(
            incident_id=callout.incident_id,
            kind=TimelineKind.PARTICIPANT,
            text=f"{recipient} {_NOT_ANSWERED[outcome]} ({which}).",
        )


def tell_finished(callout: Callout) -> None:
    """ "The call-out finished: all 4 were tried as its policy says (2 acknowledged, ...)." """
    progress = callout_progress(callout)
    counts = ", ".join(
        f"{progress.counts[status]} {status.label.lower()}"
        for status in _FINISHED_COUNTS
        if progress.counts[status]
    )
    everyone = "its one person was" if progress.total == 1 else f"all {progress.total} were"
    add_timeline_entry(
        incident_id=callout.incident_id,
        kind=TimelineKind.STATUS,
        text=f"The call-out finished: {everyone} tried as its policy says ({counts}).",
    )


def _which(attempt: Attempt, callout: Callout) -> str:
    if attempt.number > callout.max_attempts:  # rung again by hand, past the policy's tries
        return f"attempt {attempt.number}, rung again"
    return f"attempt {attempt.number} of {callout.max_attempts}"


def _wait(wait: timedelta) -> str:
    """ "30 s", "5 min", "2 h", "1 h 30 min": relative, as the server's clock is in UTC and the
    page shows each line's own time in the operator's."""
    seconds = max(round(wait.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
