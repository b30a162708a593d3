"""Read-side queries for incidents, scoped to what a user may see."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from accounts.permissions import may
from accounts.roles import Action
from calls.models import Participant
from incidents.events import call_payload, incident_payload, participant_payload, timeline_payload
from incidents.models import OPEN_STATUSES, Incident

TIMELINE_LIMIT = 500


def incidents_for(user: User | AnonymousUser) -> QuerySet[Incident]:
    """Incidents `user` may see: all of them for anyone holding the view permission."""
    if not may_view_incidents(user):
        return Incident.objects.none()
    open_first = Case(
        When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return Incident.objects.select_related("declared_by").order_by(
        open_first, "-declared_at", "-id"
    )


def may_view_incidents(user: User | AnonymousUser) -> bool:
    """The one rule for seeing incidents, from the action map the dashboard and API share."""
    return may(user, Action.VIEW)


def incident_list_for(
    user: User | AnonymousUser, *, status: str = "", severity: str = "", search: str = ""
) -> QuerySet[Incident]:
    """The list page's rows, open ones first, each with `called` (people phoned) and `reached`
    (people who pressed the acknowledgement key), counted in the same query.

    A person is one identifier (number or ACS id): rung again on another call, they count once.
    """
    incidents = incidents_for(user)
    if status:
        incidents = incidents.filter(status=status)
    if severity:
        incidents = incidents.filter(severity=severity)
    if search:
        incidents = incidents.filter(title__icontains=search)
    person = "calls__participants__identifier"
    return incidents.annotate(
        called=Count(person, distinct=True),
        reached=Count(person, distinct=True, filter=Q(calls__participants__acknowledged=True)),
    )


def get_incident_for(user: User | AnonymousUser, incident_id: int) -> Incident:
    """The only way views and consumers fetch one incident for a user.

    Raises Incident.DoesNotExist whether it is missing or not visible, so ids do not leak.
    """
    return incidents_for(user).get(pk=incident_id)


def incident_snapshot(incident_id: int) -> dict[str, Any]:
    """Everything the live page shows, as JSON primitives, in a constant number of queries."""
    incident = Incident.objects.get(pk=incident_id)
    calls = list(incident.calls.order_by("id"))
    participants = Participant.objects.filter(call__incident_id=incident_id).select_related(
        "contact", "call"
    )
    timeline = incident.timeline.select_related("actor").order_by("-at", "-id")[:TIMELINE_LIMIT]
    return {
        "seq": incident.event_seq,
        "incident": incident_payload(incident),
        "calls": [call_payload(c) for c in calls],
        "participants": [participant_payload(p) for p in participants.order_by("call_id", "id")],
        "timeline": [timeline_payload(e) for e in reversed(timeline)],
    }
