"""Reading call-outs: their progress, their recipients a page at a time."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from callouts.errors import NoCallout
from callouts.models import (
    Attempt,
    CallerNumber,
    Callout,
    CalloutState,
    Recipient,
    RecipientStatus,
)
from incidents.models import Incident

# Assumed for the estimate until the call-out has finished calls of its own to measure.
ASSUMED_CALL_SECONDS = 30.0


def callout_of(incident: Incident) -> Callout:
    """The call-out of `incident` (fetch the incident with incidents_for first); raises
    NoCallout when it has none (it was declared as a bridge call)."""
    callout = Callout.objects.filter(incident=incident).first()
    if callout is None:
        raise NoCallout(f"Incident #{incident.pk} has no call-out: it was declared as a bridge.")
    return callout


@dataclass(frozen=True)
class Progress:
    total: int
    counts: dict[str, int]  # one entry per RecipientStatus value
    estimated_completion: datetime | None  # None once nobody is left to try


def callout_progress(callout: Callout) -> Progress:
    """How many recipients are in each status, and when everyone will have been tried."""
    rows = callout.recipients.order_by().values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in RecipientStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    total = sum(counts.values())
    return Progress(total=total, counts=counts, estimated_completion=_estimate(callout, counts))


def _estimate(callout: Callout, counts: dict[str, int]) -> datetime | None:
    """Now plus the calls still to make divided by the rate the limits allow: the start limit,
    or the pool's simultaneous calls over the mean call duration, whichever is lower."""
    to_call = counts[RecipientStatus.PENDING] + counts[RecipientStatus.DIALLING]
    if not callout.is_running or to_call == 0:
        return None
    timed = callout.timed_calls  # kept by callouts.services.settling
    mean_seconds = callout.timed_call_seconds / timed if timed else ASSUMED_CALL_SECONDS
    slots = CallerNumber.objects.filter(is_active=True).aggregate(n=Sum("max_simultaneous_calls"))
    pool = slots["n"] or 1
    per_second = min(settings.CALLOUT_STARTS_PER_SECOND, pool / max(mean_seconds, 1.0))
    return timezone.now() + timedelta(seconds=to_call / per_second)


def answer_recorded(call_id: int) -> bool:
    """Whether the person on this call-out call has already answered by key."""
    return Attempt.objects.filter(call_id=call_id).exclude(outcome="").exists()


def recipients_of(callout: Callout, *, status: str | None = None) -> QuerySet[Recipient]:
    """The call-out's recipients in calling order, with their attempts (for a page of them)."""
    recipients = callout.recipients.order_by("position").prefetch_related("attempts")
    return recipients.filter(status=status) if status else recipients


def pending_recipients() -> int:
    """How many people running call-outs have still to call (the backlog; none dialling)."""
    running = Callout.objects.filter(state=CalloutState.RUNNING)
    return Recipient.objects.filter(callout__in=running, status=RecipientStatus.PENDING).count()
