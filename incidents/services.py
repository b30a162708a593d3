"""Every change to an incident goes through these functions."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from incidents.errors import InvalidTransition
from incidents.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Incident,
    IncidentStatus,
    TimelineEntry,
    TimelineKind,
)


def add_timeline_entry(
    *,
    incident: Incident,
    kind: TimelineKind,
    text: str,
    actor: User | None = None,
) -> TimelineEntry:
    """Append one line to the incident's log."""
    return TimelineEntry.objects.create(
        incident=incident, at=timezone.now(), kind=kind, text=text[:500], actor=actor
    )


@transaction.atomic
def transition_incident(
    *, incident: Incident, to: IncidentStatus, actor: User | None = None
) -> Incident:
    """Move the incident to status `to`; raises InvalidTransition when the move is not allowed."""
    # Lock the row: two operators resolving at once must not both pass the guard.
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if to not in ALLOWED_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            f"An incident that is {locked.get_status_display().lower()} cannot become "
            f"{IncidentStatus(to).label.lower()}."
        )
    locked.status = to
    locked.closed_at = None if to in OPEN_STATUSES else timezone.now()
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    who = getattr(actor, "username", None) or "the system"
    add_timeline_entry(
        incident=locked,
        kind=TimelineKind.STATUS,
        text=f"Status changed to {IncidentStatus(to).label.lower()} by {who}.",
        actor=actor,
    )
    return locked
