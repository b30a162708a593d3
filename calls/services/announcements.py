"""Telling an incident's people that one of its calls changed.

Every change to a call or a participant is broadcast to the incident's dashboards (after
commit, incidents.events); most also add the line that says what happened to the incident's
timeline. These two functions are that pairing, so the calls services only say what changed.
"""

from django.contrib.auth.models import User

from calls.models import Call, Participant
from incidents.events import broadcast_call, broadcast_participant
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry


def announce(
    row: Call | Participant,
    says: str = "",
    *,
    kind: TimelineKind | None = None,
    actor: User | None = None,
) -> None:
    """Broadcast `row`'s new state and, with `says`, add that line to the timeline (a call's
    line is of kind CALL and a participant's of kind PARTICIPANT unless `kind` says otherwise).
    """
    if isinstance(row, Call):
        broadcast_call(row)
        incident_id, default_kind = row.incident_id, TimelineKind.CALL
    else:
        broadcast_participant(row)
        incident_id, default_kind = row.call.incident_id, TimelineKind.PARTICIPANT
    if says:
        add_timeline_entry(
            incident_id=incident_id, kind=kind or default_kind, text=says, actor=actor
        )


def save_and_announce(
    row: Call | Participant,
    *fields: str,
    says: str = "",
    kind: TimelineKind | None = None,
    actor: User | None = None,
) -> None:
    """Write these fields of `row` (and its updated_at), then announce it (see announce)."""
    row.save(update_fields=[*fields, "updated_at"])
    announce(row, says, kind=kind, actor=actor)
