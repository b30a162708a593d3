"""Placing an attempt's call: one create-call, sent at most once per Repeatability-Request-ID.

The attempt is claimed first, in a short transaction of its own (claimed_at: a lease), and the
request goes out after that commit, so no lock is held while the provider answers. A worker
killed between the two leaves a claim that runs out; the recovery sweep then enqueues the
attempt again, and the same request id makes the provider answer with the call it already
placed instead of ringing anyone twice (callouts.services.recovery). The provider remembers an
id for five minutes only: past that an attempt is not sent again but settled as failed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from callouts.events import broadcast_recipient
from callouts.models import Attempt, Outcome
from callouts.services.settling import settle_attempt
from callouts.tasks import place_attempt
from calls.errors import CannotRetry, ProviderFailed
from calls.models import Call, CallState
from calls.provider_types import ProviderError
from calls.services import hang_up_call, place_call, retry_call
from calls.services.placing import REPEATABILITY_WINDOW
from calls.services.write_queue import serialized_writes
from incidents.events import batched_broadcasts

# A transient failure (a timeout, a 5xx) may have placed the call after all: the same request
# is sent again after this long (or the provider's Retry-After), while the provider remembers it.
RESEND_AFTER = timedelta(seconds=5)
TOO_LATE = (
    "Not sent again: the provider forgets a create-call's Repeatability-Request-ID after five "
    "minutes, so a repeat could ring this person twice."
)


@dataclass(frozen=True)
class Claim:
    call: Call
    caller_id: str
    resend: bool  # the call was refused by a transient failure: send the same request again


def place(*, attempt_id: int) -> None:
    """Send the attempt's create-call from its caller number (the same request again if a
    transient failure left it unsure). Does nothing for an attempt already settled, placed or
    claimed by a live worker; settles it as cancelled if the call-out stopped, and as failed,
    with the provider's code and message, if the provider refused it. Raises nothing for
    provider failures."""
    claim = _claim(attempt_id)
    if claim is None:
        return
    try:
        if claim.resend:
            retry_call(call=claim.call, actor=None, caller_id=claim.caller_id)
        else:
            place_call(call=claim.call, caller_id=claim.caller_id)
    except CannotRetry:
        return  # a callback moved the refused call on meanwhile: it was placed after all
    except ProviderFailed as exc:
        cause = exc.__cause__
        _refused(attempt_id, cause if isinstance(cause, ProviderError) else None, str(exc))
    except ValueError as exc:  # an identifier the provider cannot dial: refused before sending
        _refused(attempt_id, None, str(exc))


def _claim(attempt_id: int) -> Claim | None:
    cancelled: Call | None = None
    with serialized_writes(), transaction.atomic(), batched_broadcasts():
        attempt = _locked(attempt_id)
        if attempt is None or attempt.ended_at is not None:
            return None
        call, now = attempt.call, timezone.now()
        if call.state not in (CallState.PENDING, CallState.FAILED):
            return None  # placed already: its callbacks settle it
        if not attempt.recipient.callout.is_running:
            settle_attempt(attempt=attempt, outcome=Outcome.CANCELLED)
            cancelled = call
        elif call.state == CallState.FAILED and call.create_first_sent_at is None:
            # Refused for good (a new request id was drawn), by a worker that died before it
            # could settle the attempt.
            settle_attempt(
                attempt=attempt, outcome=Outcome.FAILED, provider_message=call.last_error
            )
        elif _lease_held(attempt, now):
            return None  # another worker is sending it right now
        elif _too_late(call, now):
            settle_attempt(attempt=attempt, outcome=Outcome.FAILED, provider_message=TOO_LATE)
        else:
            attempt.claimed_at = now
            attempt.save(update_fields=["claimed_at"])
            broadcast_recipient(attempt.recipient)  # its row now says it is being called
            resend = call.state == CallState.FAILED
            return Claim(call=call, caller_id=attempt.caller_number.number, resend=resend)
    if cancelled is not None:
        hang_up_call(call=cancelled, actor=None, said="Not placed: the call-out had stopped.")
    return None


def _refused(attempt_id: int, error: ProviderError | None, message: str) -> None:
    with serialized_writes(), transaction.atomic(), batched_broadcasts():
        attempt = _locked(attempt_id)
        if attempt is None or attempt.ended_at is not None:
            return
        call, now = attempt.call, timezone.now()
        if error is not None and call.state != CallState.FAILED:
            return  # a callback proved the call exists after all: it settles the attempt
        wait = timedelta(seconds=error.retry_after) if error and error.retry_after else RESEND_AFTER
        if error is not None and error.retryable and not _too_late(call, now + wait):
            # Released (claimed_at cleared) so that the repeat may claim it at its time.
            attempt.claimed_at, attempt.scheduled_at = None, now + wait
            attempt.save(update_fields=["claimed_at", "scheduled_at"])
            place_attempt.using(run_after=attempt.scheduled_at).enqueue(attempt.pk)
            return
        code = (error.code or (str(error.status) if error.status else "")) if error else ""
        settle_attempt(
            attempt=attempt,
            outcome=Outcome.FAILED,
            provider_code=code,
            provider_message=error.message if error else message,
        )


def _locked(attempt_id: int) -> Attempt | None:
    return (
        Attempt.objects.select_for_update(no_key=True, of=("self",))
        .select_related("call", "caller_number", "recipient__callout")
        .filter(pk=attempt_id)
        .first()
    )


def _lease_held(attempt: Attempt, now: datetime) -> bool:
    lease = timedelta(seconds=settings.CALLOUT_LEASE_SECONDS)
    return attempt.claimed_at is not None and now - attempt.claimed_at < lease


def _too_late(call: Call, at: datetime) -> bool:
    first_sent = call.create_first_sent_at
    return first_sent is not None and at - first_sent > REPEATABILITY_WINDOW
