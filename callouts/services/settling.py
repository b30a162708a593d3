"""Settling attempts: how each ended, what that means for its recipient, what comes next.

An attempt is settled once, when its call has ended (the provider's Terminated, applied by
calls.services.applying and handed here by callouts.following) or when its create-call failed
(callouts.services.placing). Its caller number's line was freed when the call began ending
(callouts.services.pacing), which woke the pacer; settling wakes it too, for a call whose ending
came unannounced.

Locks, in this order (pacing and stopping take the call-out first too): the attempt (its call
before it, on the applier's path), then the call-out, then the recipient.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import (
    FINAL_RECIPIENT_STATUSES,
    Attempt,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
)
from callouts.quiet_hours import not_before
from callouts.services.telling import tell_finished, tell_outcome
from callouts.services.waking import wake_waiting_callouts
from callouts.tasks import is_queued, pace_callout
from calls import callback_events as ev
from calls.services.call_batch import CallBatch
from webhooks.services.emitting import emit_callout_finished

# What a SIP response means for a call nobody answered. The 2021 dialect reports none of them
# for a first dial-out (busy, declined and no answer all end the call alike), later ones do
# (resultInformation.sipDetails); calls.services.applying maps the same codes for invitations.
SIP_OUTCOMES = {
    408: Outcome.NO_ANSWER,
    480: Outcome.NO_ANSWER,
    486: Outcome.BUSY,
    487: Outcome.NO_ANSWER,
    600: Outcome.BUSY,
    603: Outcome.DECLINED,
}


def on_call_state(batch: CallBatch, attempt: Attempt, event: ev.CallStateChanged) -> None:
    """The attempt's call moved (the applier has moved the Call itself already): note when it
    was answered, and settle the attempt when it ended."""
    if attempt.ended_at is not None:
        return  # settled already (its create-call failed, or a redelivered Terminated)
    if event.state == ev.CallState.ESTABLISHED and attempt.answered_at is None:
        attempt.answered_at = event.event_time
        if not attempt.outcome:  # a key that overtook this event has set its own deadline
            window = timedelta(seconds=attempt.recipient.callout.answer_window_seconds)
            attempt.hang_up_at = timezone.now() + window
        attempt.save(update_fields=["answered_at", "hang_up_at"])
    elif event.state == ev.CallState.TERMINATING:
        # The provider is ending it: its line is free (callouts.services.pacing).
        wake_waiting_callouts(now=timezone.now())
    elif event.state == ev.CallState.TERMINATED:
        settle_attempt(
            attempt=attempt, outcome=_unanswered_outcome(batch, attempt, event), at=event.event_time
        )


def _unanswered_outcome(batch: CallBatch, attempt: Attempt, event: ev.CallStateChanged) -> Outcome:
    """How a call that ended without a key (settle_attempt keeps a key's outcome) went."""
    answered = attempt.answered_at is not None or any(
        p.joined_at is not None for p in batch.by_identifier().values()
    )
    if answered:
        return Outcome.ANSWERED_NO_KEY
    return SIP_OUTCOMES.get(_sip_code(event.raw) or 0, Outcome.NO_ANSWER)


def _sip_code(envelope: dict[str, Any]) -> int | None:
    """The SIP response code an ended call's event carries, if its dialect gives one."""
    data = _lower_keys(envelope.get("data"))
    result = _lower_keys(data.get("resultinformation") or data.get("resultinfo"))
    code = _lower_keys(result.get("sipdetails")).get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _lower_keys(value: Any) -> dict[str, Any]:
    # The provider's dialects spell keys in PascalCase or camelCase.
    return {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}


def settle_attempt(
    *,
    attempt: Attempt,
    outcome: Outcome,
    at: datetime | None = None,
    provider_code: str = "",
    provider_message: str = "",
) -> None:
    """End `attempt` (locked by the caller, in the caller's transaction) at `at` (default now),
    freeing its caller number's slot. An outcome already recorded on it (a key press: keypad;
    cancelled: stopping) stays; else it is cancelled if the call-out is no longer running, else
    `outcome`. Moves its recipient on (see recipient_status), tells the timeline how it went
    (callouts.services.telling), wakes the pacer, finishes a call-out with nobody left to try
    and broadcasts the changes. An attempt already ended is
    left alone. Raises nothing."""
    if attempt.ended_at is not None:
        return
    callout = Callout.objects.select_for_update(no_key=True).get(pk=attempt.recipient.callout_id)
    attempt.ended_at = at or timezone.now()
    attempt.outcome = attempt.outcome or (Outcome.CANCELLED if not callout.is_running else outcome)
    attempt.provider_code = provider_code[:50]
    attempt.provider_message = provider_message[:500]
    attempt.save(update_fields=["ended_at", "outcome", "provider_code", "provider_message"])
    _time_call(callout, attempt)
    recipient = Recipient.objects.select_for_update(no_key=True).get(pk=attempt.recipient_id)
    recipient.callout = callout
    _move_recipient(recipient, callout, Outcome(attempt.outcome), attempt.ended_at)
    tell_outcome(attempt=attempt, recipient=recipient, callout=callout)
    if callout.is_running and anyone_left(callout):
        # A slot is free. A pacing that waits in the queue, not yet taken, will see it: one is
        # enough (a taken one may have counted before this commit, so it does not count).
        if not is_queued(pace_callout, callout.pk, by=timezone.now()):
            pace_callout.enqueue(callout.pk)
    else:
        if callout.is_running:
            finish_callout(callout)
        # The slot freed is no use to this call-out: it may be another's turn.
        wake_waiting_callouts(now=timezone.now(), besides=callout.pk)
    broadcast_recipient(recipient)
    broadcast_callout(callout)


def _time_call(callout: Callout, attempt: Attempt) -> None:
    """Add the ended attempt's call, from its claim to its end, to the estimate's totals."""
    if attempt.claimed_at is None or attempt.ended_at is None:
        return  # never sent: not a call
    callout.timed_calls += 1
    callout.timed_call_seconds += max((attempt.ended_at - attempt.claimed_at).total_seconds(), 0)
    callout.save(update_fields=["timed_calls", "timed_call_seconds"])


def recipient_status(recipient: Recipient, callout: Callout, outcome: Outcome) -> RecipientStatus:
    """Where `recipient` stands after an attempt ended with `outcome`: a key's answer, or a
    status already final, stays; a stopped call-out stops them; a retryable outcome with
    attempts left makes them pending again; else they failed (the provider refused) or were not
    reached."""
    if recipient.status in FINAL_RECIPIENT_STATUSES:
        return RecipientStatus(recipient.status)
    if outcome == Outcome.ACKNOWLEDGED:
        return RecipientStatus.ACKNOWLEDGED
    if outcome == Outcome.DECLINED_BY_KEY:
        return RecipientStatus.DECLINED
    if not callout.is_running:
        return RecipientStatus.STOPPED
    # "Call me back later" is always tried again while the policy allows another attempt.
    retried = outcome in callout.retry_outcomes or outcome == Outcome.CALL_BACK
    if recipient.attempts_made < callout.max_attempts and retried:
        return RecipientStatus.PENDING
    return RecipientStatus.FAILED if outcome == Outcome.FAILED else RecipientStatus.NOT_REACHED


def _move_recipient(
    recipient: Recipient, callout: Callout, outcome: Outcome, ended_at: datetime
) -> None:
    status = recipient_status(recipient, callout, outcome)
    retry = status == RecipientStatus.PENDING
    recipient.status = status
    recipient.next_attempt_at = (
        not_before(
            ended_at + timedelta(seconds=callout.retry_wait_seconds),
            quiet_start=callout.quiet_start,
            quiet_end=callout.quiet_end,
            zone=recipient.time_zone or callout.time_zone,
        )
        if retry
        else None
    )
    recipient.save(update_fields=["status", "next_attempt_at", "updated_at"])


def anyone_left(callout: Callout) -> bool:
    """Whether anyone in the call-out is still to be called or being called."""
    return callout.recipients.filter(
        status__in=(RecipientStatus.PENDING, RecipientStatus.DIALLING)
    ).exists()


def finish_callout(callout: Callout) -> None:
    """Mark the running `callout` (locked) finished: everyone was tried as its policy says,
    and the timeline says how it went."""
    callout.state = CalloutState.FINISHED
    callout.finished_at = timezone.now()
    callout.save(update_fields=["state", "finished_at"])
    tell_finished(callout)
    emit_callout_finished(callout=callout)
