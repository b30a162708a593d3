"""The incident log: every entry is also pushed to the incident's dashboards."""

from django.contrib.auth.models import User
from django.utils import timezone

from incidents.events import broadcast_incident_event, timeline_payload
from incidents.models import Incident, TimelineEntry, TimelineKind


def add_timeline_entry(
    *, incident: Incident, kind: TimelineKind, text: str, actor: User | None = None
) -> TimelineEntry:
    """Append one line to the incident's log and announce it after commit."""
    text = text[:1].upper() + text[1:500]  # "the system played..." starts a sentence
    entry = TimelineEntry.objects.create(
        incident=incident, at=timezone.now(), kind=kind, text=text, actor=actor
    )
    broadcast_incident_event(incident_id=incident.pk, kind="timeline", data=timeline_payload(entry))
    return entry


def actor_name(actor: User | None) -> str:
    return actor.get_username() if actor is not None else "the system"
