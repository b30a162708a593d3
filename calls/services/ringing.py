"""Phones that ring, and phones that ring too long.

The preview API reports nobody who fails to answer the first dial-out (only invitations get a
result event), so the app gives up on them itself after RING_TIMEOUT_SECONDS; on GA it first
reads the call from the provider, in case the callback saying they answered was lost.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from calls.errors import ProviderFailed
from calls.models import Call, CallMode, CallState, Participant, ParticipantState
from calls.provider import provider_reads_calls
from calls.services.announcements import save_and_announce
from incidents.events import batched_broadcasts

# A broadcast call with one of its people in these states is not given up on.
STILL_THERE = (ParticipantState.INVITED, ParticipantState.RINGING, ParticipantState.JOINED)
logger = logging.getLogger(__name__)


def start_ringing(participants: Iterable[Participant]) -> None:
    """Mark those of `participants` still invited as ringing from now, and announce it.

    Give them with their call and contact loaded: the announcement shows both.
    """
    now = timezone.now()
    for participant in participants:
        if participant.state != ParticipantState.INVITED:
            continue
        participant.state = ParticipantState.RINGING
        participant.ringing_since = now
        save_and_announce(participant, "state", "ringing_since")


def expire_unanswered(*, now: datetime | None = None) -> int:
    """Mark people who have rung longer than the ring timeout as not answering; return how many.

    Where the provider can be read (GA), a lost callback must not make a person who answered
    look unreached: their call is read first (calls.services.reconciling), and only those a
    read after their ring timeout left ringing are given up on (or, while reads keep failing,
    those RECONCILE_AFTER_SECONDS past it). Safe to run from several processes at once: each
    call is locked while it is swept.
    """
    # Imported here: calls.services.reconciling imports the applier, which imports this module.
    from calls.services.reconciling import reconcile_calls

    now = now or timezone.now()
    ring = timedelta(seconds=settings.RING_TIMEOUT_SECONDS)
    deadline = now - ring
    overdue = Q(state=ParticipantState.RINGING, ringing_since__lt=deadline)
    if provider_reads_calls():
        read_since = Q(call__reconciled_at__gt=F("ringing_since") + ring)
        reconcile_calls(_calls_of(Participant.objects.filter(overdue).exclude(read_since)))
        allowance = timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
        overdue &= read_since | Q(ringing_since__lt=deadline - allowance)
    call_ids = _calls_of(Participant.objects.filter(overdue))
    expired = sum(_expire_call(call_id, overdue) for call_id in call_ids)
    hang_up_unanswered()
    return expired


def _calls_of(participants: QuerySet[Participant]) -> list[int]:
    return list(
        participants.exclude(call__state=CallState.TERMINATED)
        .order_by()  # else the model's ordering joins DISTINCT: one row per participant
        .values_list("call_id", flat=True)
        .distinct()
    )


def hang_up_unanswered() -> int:
    """Hang up the broadcast calls whose one person gave up ringing (the ring timeout) and that
    are still up; return how many. The provider would keep ringing them, and a call-out counts
    the call as holding its caller number until it has ended. Runs after every sweep, so a
    hang-up the provider failed is tried again on the next."""
    # Imported here: calls.services.actions imports this module.
    from calls.services.actions import hang_up_call

    unanswered = (
        Call.objects.filter(
            mode=CallMode.BROADCAST,
            state__in=(CallState.ESTABLISHING, CallState.ESTABLISHED),
            participants__state=ParticipantState.FAILED,
        )
        .exclude(participants__state__in=STILL_THERE)
        .exclude(provider_call_id="")
        .distinct()
    )
    hung_up = 0
    for call in list(unanswered):
        try:
            hang_up_call(call=call, actor=None, said="Hung up: nobody answered.")
        except ProviderFailed:
            logger.warning("Could not hang up unanswered call %s; will try again.", call.pk)
        else:
            hung_up += 1
    return hung_up


@transaction.atomic
@batched_broadcasts()
def _expire_call(call_id: int, overdue: Q) -> int:
    call = Call.objects.select_for_update(no_key=True).get(pk=call_id)
    overdue_here = call.participants.select_related("contact").filter(overdue)
    expired = 0
    for participant in overdue_here:
        participant.state = ParticipantState.FAILED
        save_and_announce(
            participant,
            "state",
            says=f"{participant} was not reached: no answer after "
            f"{settings.RING_TIMEOUT_SECONDS} s.",
        )
        expired += 1
    return expired
