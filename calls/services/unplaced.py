"""Calls stored but never dialled: a process killed between the commit and the create-call.

Declaring a bridge, calling again and a call-out's bridge store their calls "pending" and send
the create-call after the commit, from the request or task that stored them. When that process
dies first, nothing else would ever dial the call: this sweep (run after each ring sweep by
`manage.py run_worker`) sends the create-call of every call still pending after
CALLOUT_LEASE_SECONDS (the client's worst case for one create-call), with the same
Repeatability-Request-ID, so a request that did reach the provider is not dialled twice.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from calls.errors import ProviderFailed
from calls.models import Call, CallState
from calls.services.placing import REPEATABILITY_WINDOW, place_call
from incidents.models import OPEN_STATUSES

logger = logging.getLogger(__name__)


def place_unplaced(*, now: datetime | None = None) -> int:
    """Send the create-call of each call that is not a call-out attempt (those have their own
    sweep, callouts.services.recovery) left pending for longer than the lease; returns how many
    were placed. Raises nothing of its own: a refusal is recorded on the call (failed, retry)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.CALLOUT_LEASE_SECONDS)
    placed = 0
    for call in Call.objects.filter(
        attempt__isnull=True,
        state=CallState.PENDING,
        updated_at__lt=stale,
        incident__status__in=OPEN_STATUSES,
    ).order_by("pk"):
        if not _claim(call, now):
            continue  # another worker's sweep has it
        try:
            place_call(call=call)
        except (ProviderFailed, ValueError):
            logger.warning("Could not place call %s left pending; recorded on it.", call.pk)
        else:
            placed += 1
    return placed


def _claim(call: Call, now: datetime) -> bool:
    """Take the call for this sweep (its updated_at is the lease); past the provider's
    repeatability window a request id would be refused, so the call gets a new one."""
    changes: dict[str, object] = {"updated_at": now}
    first_sent = call.create_first_sent_at
    if first_sent is not None and now - first_sent > REPEATABILITY_WINDOW:
        # Never placed after all (a placed call's callbacks would have moved it on).
        changes |= {"create_request_id": uuid.uuid4(), "create_first_sent_at": None}
    taken = Call.objects.filter(pk=call.pk, state=CallState.PENDING, updated_at=call.updated_at)
    if not taken.update(**changes):
        return False
    for name, value in changes.items():
        setattr(call, name, value)
    return True
