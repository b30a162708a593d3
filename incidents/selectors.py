"""Read-side queries for incidents, scoped to what a user may see."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from accounts.permissions import may
from accounts.roles import Action
from callouts.console import RecipientPage, callout_console
from callouts.models import Recipient, RecipientStatus
from calls.models import Participant
from escalations.events import escalation_snapshot
from incidents.events import call_payload, incident_payload, participant_payload, timeline_payload
from incidents.models import LISTED_KIND, OPEN_STATUSES, Incident

TIMELINE_LIMIT = 500
# A call-out's recipients who answered by key, either way: the list page's "reached".
REACHED_STATUSES = (RecipientStatus.ACKNOWLEDGED, RecipientStatus.DECLINED)


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
    user: User | AnonymousUser,
    *,
    status: str = "",
    severity: str = "",
    search: str = "",
    kind: str = LISTED_KIND,
) -> QuerySet[Incident]:
    """The list page's rows, open ones first, each with `called` (people phoned) and `reached`
    (people who answered by key), counted by subqueries that do not grow with the page.

    A person is one identifier (number or ACS id): rung again on another call, they count once.
    A call-out's recipients count once tried; they are reached once they acknowledged or
    declined by key. People on its other calls (its bridge) count too, unless they are
    recipients already counted so. Only real incidents unless `kind` says otherwise
    ("" for every kind): reminder runs and drills have their own pages.
    """
    incidents = incidents_for(user)
    if kind:
        incidents = incidents.filter(kind=kind)
    if status:
        incidents = incidents.filter(status=status)
    if severity:
        incidents = incidents.filter(severity=severity)
    if search:
        incidents = incidents.filter(title__icontains=search)
    recipients = Recipient.objects.filter(callout__incident=OuterRef("pk"), attempts_made__gt=0)
    reached = recipients.filter(status__in=REACHED_STATUSES)
    # People on the incident's calls other than a call-out's attempts, who are recipients
    # only if an attempt of theirs has not been counted above.
    people = Participant.objects.filter(
        call__incident=OuterRef("pk"), call__attempt__isnull=True
    ).exclude(
        identifier__in=Recipient.objects.filter(
            callout__incident=OuterRef(OuterRef("pk")), attempts_made__gt=0
        ).values("identifier")
    )
    return incidents.annotate(
        called=_count(recipients, "pk") + _count(people, "identifier"),
        reached=_count(reached, "pk") + _count(people.filter(acknowledged=True), "identifier"),
    )


def _count(rows: QuerySet[Any], field: str) -> Subquery:
    """How many distinct `field` values `rows` (correlated to the incident) hold: one
    aggregate row, since nothing is grouped."""
    distinct = Func(F(field), function="COUNT", template="%(function)s(DISTINCT %(expressions)s)")
    return Subquery(rows.order_by().annotate(n=distinct).values("n"), output_field=IntegerField())


def get_incident_for(user: User | AnonymousUser, incident_id: int) -> Incident:
    """The only way views and consumers fetch one incident for a user.

    Raises Incident.DoesNotExist whether it is missing or not visible, so ids do not leak.
    """
    return incidents_for(user).get(pk=incident_id)


def incident_snapshot(incident_id: int, recipients: RecipientPage | None = None) -> dict[str, Any]:
    """Everything the live page shows, as JSON primitives, in a constant number of queries:
    with a call-out, its counts and the page `recipients` of its recipient table (the first).

    A call-out's attempts are calls too, one per person and attempt: they are the table's
    rows, so the calls (and people) listed are the incident's other calls only.
    """
    incident = Incident.objects.get(pk=incident_id)
    calls = list(incident.calls.filter(attempt__isnull=True).order_by("id"))
    participants = Participant.objects.filter(
        call__incident_id=incident_id, call__attempt__isnull=True
    ).select_related("contact", "call")
    timeline = incident.timeline.select_related("actor").order_by("-at", "-id")[:TIMELINE_LIMIT]
    return {
        "seq": incident.event_seq,
        "incident": incident_payload(incident),
        "calls": [call_payload(c) for c in calls],
        "participants": [participant_payload(p) for p in participants.order_by("call_id", "id")],
        "timeline": [timeline_payload(e) for e in reversed(timeline)],
        **callout_console(incident_id, recipients or RecipientPage()),
        **escalation_snapshot(incident_id),
    }
