"""Creating calls in the database and asking the provider to dial them."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from calls.callback_limits import IDENTIFIER_LENGTH
from calls.controls import can_retry
from calls.errors import CannotRetry
from calls.metrics import CALLS_PLACED, PlacingOutcome
from calls.models import (
    CALL_STATE_RANK,
    AudioPrompt,
    Call,
    CallMode,
    CallState,
    Participant,
)
from calls.provider import callback_url, provider_client, provider_request
from calls.provider_types import CallLeg, ProviderError, ProviderProtocolError
from calls.services.announcements import announce, save_and_announce, tell
from calls.services.ringing import start_ringing
from calls.targets import Target, require_targets
from incidents.events import batched_broadcasts
from incidents.models import Incident, TimelineKind
from incidents.timeline import actor_name, count_people, names

# Leave a margin under the provider's five minutes for the request to travel.
REPEATABILITY_WINDOW = timedelta(minutes=4, seconds=30)
logger = logging.getLogger(__name__)


def prepare_calls(
    *, incident: Incident, targets: list[Target], mode: CallMode, prompt: AudioPrompt | None
) -> list[Call]:
    """Create the calls (one bridge, or one per target) and their participants, not yet dialled.

    Raises NothingToCall when `targets` is empty.
    """
    require_targets(targets)
    groups = [targets] if mode == CallMode.BRIDGE else [[target] for target in targets]
    calls = []
    for group in groups:
        call = Call.objects.create(
            incident=incident, mode=mode, prompt=prompt, subject=incident.title[:200]
        )
        Participant.objects.bulk_create(
            Participant(call=call, contact=t.contact, identifier=t.identifier) for t in group
        )
        calls.append(call)
    return calls


def place_call(*, call: Call, actor: User | None = None, caller_id: str | None = None) -> Call:
    """Ask the provider to dial every participant of `call`, showing `caller_id` (by default
    ACS_CALLER_ID) as the calling number. Raises ProviderFailed.

    Runs outside any transaction: the HTTP request must not hold the database's write lock,
    and the callbacks it triggers may arrive before it returns.
    """
    identifiers = list(call.participants.values_list("identifier", flat=True))
    if call.create_first_sent_at is None:
        # Persist the first-sent time before sending, so every repeat carries the same one.
        call.create_first_sent_at = timezone.now()
        Call.objects.filter(pk=call.pk).update(create_first_sent_at=call.create_first_sent_at)
    with provider_request("place the call"):
        try:
            leg = provider_client().create_call(
                source=settings.ACS_SOURCE_ID,
                targets=identifiers,
                callback_url=callback_url(call_id=call.pk, secret=call.callback_secret),
                subject=call.subject,
                caller_id=caller_id or settings.ACS_CALLER_ID,
                subscribe_participants=True,
                subscribe_tones=True,
                request_id=call.create_request_id,
                first_sent=call.create_first_sent_at,
            )
            leg = _fitting(leg)
        except ValueError:  # a target it cannot dial: refused before sending
            _count_placing(call, PlacingOutcome.INVALID)
            raise
        except ProviderError as exc:
            _count_placing(
                call, PlacingOutcome.UNAVAILABLE if exc.retryable else PlacingOutcome.REFUSED
            )
            _record_refusal(call=call, error=exc, actor=actor)
            raise
    _count_placing(call, PlacingOutcome.PLACED)
    return _record_placed(call=call, leg=leg, people=len(identifiers), actor=actor)


def _fitting(leg: CallLeg) -> CallLeg:
    """The create-call answer as the columns can keep it (calls.callback_limits): a call id
    too long for its column is refused, as cut short it would match none of the call's
    callbacks; a source id too long is dropped (ACS_SOURCE_ID stands in, as when absent)."""
    if len(leg.call_id) > IDENTIFIER_LENGTH:
        raise ProviderProtocolError(
            "create_call", f"a call id longer than {IDENTIFIER_LENGTH} characters"
        )
    if leg.source is not None and len(leg.source) > IDENTIFIER_LENGTH:
        return CallLeg(call_id=leg.call_id, source=None)
    return leg


def _count_placing(call: Call, outcome: PlacingOutcome) -> None:
    CALLS_PLACED.labels(outcome=outcome.value).inc()
    logger.info(
        "Create-call for call %s: %s",
        call.pk,
        outcome.value,
        extra={"call_id": call.pk, "outcome": outcome.value},
    )


@transaction.atomic
@batched_broadcasts()
def _record_placed(*, call: Call, leg: CallLeg, people: int, actor: User | None) -> Call:
    call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
    call.provider_call_id = leg.call_id
    call.provider_source_id = leg.source or settings.ACS_SOURCE_ID
    call.last_error = ""
    # A callback may already have moved the call on; only move it forward.
    if CALL_STATE_RANK[call.state] < CALL_STATE_RANK[CallState.ESTABLISHING]:
        call.state = CallState.ESTABLISHING
    fields = ["provider_call_id", "provider_source_id", "last_error", "state", "updated_at"]
    call.save(update_fields=fields)
    # The provider is dialling everyone now (its Establishing event may have come first).
    start_ringing(call.participants.select_related("contact"))
    announce(
        call, f"Call placed by {actor_name(actor)}: ringing {count_people(people)}.", actor=actor
    )
    return call


def fail_pending_call(call: Call, message: str, *, fresh_request: bool) -> Call | None:
    """Mark `call` failed with `message` if it is still pending (locked; in the caller's
    transaction) and announce it; with `fresh_request`, a retry is a new request, not a repeat
    of this one. Returns the locked call, or None when a callback proved it exists after all."""
    locked = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
    if locked.state != CallState.PENDING:
        return None
    locked.state = CallState.FAILED
    locked.last_error = message[:500]
    if fresh_request:
        locked.create_request_id = uuid.uuid4()
        locked.create_first_sent_at = None
    locked.save(
        update_fields=[
            "state",
            "last_error",
            "create_request_id",
            "create_first_sent_at",
            "updated_at",
        ]
    )
    announce(locked)
    return locked


@transaction.atomic
@batched_broadcasts()
def _record_refusal(*, call: Call, error: ProviderError, actor: User | None) -> None:
    # A definite refusal: the next attempt is a new request, not a repeat of this one.
    failed = fail_pending_call(call, error.message, fresh_request=not error.retryable)
    if failed is None:
        return
    call = failed
    # Their phones never rang: each of them now counts as not reached.
    waiting = list(call.participants.select_related("contact"))
    for participant in waiting:
        announce(participant)
    verb = "was" if len(waiting) == 1 else "were"
    tell(
        call,
        f"The provider did not place the call, so {names(waiting)} {verb} not reached: "
        f"{error.message}",
        kind=TimelineKind.ERROR,
        actor=actor,
        outcome=True,
    )


@audited
def retry_call(*, call: Call, actor: User | None, caller_id: str | None = None) -> Call:
    """Place a call the provider refused once more (from `caller_id`, as place_call). Raises
    CannotRetry, ProviderFailed."""
    with transaction.atomic():
        locked = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
        if not can_retry(locked):
            raise CannotRetry("Only a call the provider refused can be placed again.")
        locked.state = CallState.PENDING
        first_sent = locked.create_first_sent_at
        if first_sent is None or timezone.now() - first_sent > REPEATABILITY_WINDOW:
            # The provider forgets request ids after five minutes and answers 412 to them.
            locked.create_request_id = uuid.uuid4()
            locked.create_first_sent_at = None
        save_and_announce(locked, "state", "create_request_id", "create_first_sent_at")
        record_action(
            action=AuditAction.RETRY,
            target=locked,
            actor=actor,
            incident_id=locked.incident_id,
            summary=f"{actor_name(actor)} placed the call again.",
        )
    return place_call(call=locked, actor=actor, caller_id=caller_id)
