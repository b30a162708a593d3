"""Calls stored but never dialled: a process killed between the commit and the create-call.

Declaring a bridge, calling again and a call-out's bridge store their calls "pending" and send
the create-call after the commit, from the request or task that stored them. When that process
dies first, nothing else would ever dial the call: this sweep (run after each ring sweep by
`manage.py run_worker`) sends the create-call of every call still pending after
CALLOUT_LEASE_SECONDS (the client's worst case for one create-call), with the same
Repeatability-Request-ID, so a request that did reach the provider is not dialled twice. Past
the provider's five minutes of memory the call is marked failed instead (as a call-out attempt
is), for a person to retry, rather than risk ringing anyone twice.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calls.errors import ProviderFailed
from calls.models import Call, CallState
from calls.services.announcements import tell
from calls.services.placing import REPEATABILITY_WINDOW, fail_pending_call, place_call
from incidents.events import batched_broadcasts
from incidents.models import OPEN_STATUSES, IncidentStatus, TimelineKind

logger = logging.getLogger(__name__)


def place_unplaced(*, now: datetime | None = None) -> int:
    """Send the create-call of each call that is not a call-out attempt (those have their own
    sweep, callouts.services.recovery) left pending for longer than the lease, or mark it
    failed past the repeatability window; returns how many were sent. Raises nothing of its
    own: a refusal is recorded on the call (failed, for a retry)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CALLOUT_LEASE_SECONDS)
    placed = 0
    for call in (
        Call.objects.filter(
            attempt__isnull=True,
            state=CallState.PENDING,
            updated_at__lt=stale,
            incident__status__in=OPEN_STATUSES,
        )
        .select_related("incident")
        .order_by("pk")
    ):
        first_sent = call.create_first_sent_at
        if first_sent is not None and now - first_sent > REPEATABILITY_WINDOW:
            _give_up(call)
        elif _claim(call, now):  # else another worker's sweep has it
            try:
                place_call(call=call)
            except (ProviderFailed, ValueError):
                logger.warning("Could not place call %s left pending; recorded on it.", call.pk)
            else:
                placed += 1
                _activate(call)
    return placed


def _activate(call: Call) -> None:
    """A call is out: the incident becomes active, as declaring would have made it."""
    # Imported here: incidents.services imports the calls services.
    from incidents.services import transition_incident

    if call.incident.status == IncidentStatus.DECLARED:
        transition_incident(incident=call.incident, to=IncidentStatus.ACTIVE)


def _claim(call: Call, now: datetime) -> bool:
    """Take the call for this sweep: its updated_at is the lease."""
    taken = Call.objects.filter(pk=call.pk, state=CallState.PENDING, updated_at=call.updated_at)
    return bool(taken.update(updated_at=now))


@transaction.atomic
@batched_broadcasts()
def _give_up(call: Call) -> None:
    # A retry is a new request: the provider has forgotten this one.
    message = "Not placed: the server stopped while sending it. Retry to place it."
    locked = fail_pending_call(call, message, fresh_request=True)
    if locked is None:
        return
    tell(
        locked,
        f"The call was not placed: {locked.last_error}",
        kind=TimelineKind.ERROR,
        outcome=True,
    )
