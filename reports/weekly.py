"""Reports across incidents: per week (ISO, by declaration) and per contact group, from the
same per-person figures as an incident's report (reports.selectors).

Incidents do not record the groups they were declared to, so a group's figures are its
members' (people whose contact is in the group today): an incident counts for a group when one
of its members was among the people it called.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from contacts.models import ContactGroup
from incidents.models import Incident
from reports.cost import ZERO, Rates
from reports.selectors import PersonRow, people_of, percentile

ALL_GROUPS = "All people"
MOST_OFTEN_NOT_REACHED = 3


@dataclass
class Bucket:
    week: date  # its Monday
    group: str
    incidents: set[int] = field(default_factory=set)
    targeted: int = 0
    reached: int = 0
    times_to_ack: list[float] = field(default_factory=list)
    not_reached: Counter[str] = field(default_factory=Counter)
    cost: Decimal = ZERO

    @property
    def time_to_ack_p50(self) -> float | None:
        return percentile(self.times_to_ack, 50)

    @property
    def share_reached(self) -> float | None:
        return self.reached / self.targeted if self.targeted else None

    @property
    def most_often_not_reached(self) -> list[tuple[str, int]]:
        return self.not_reached.most_common(MOST_OFTEN_NOT_REACHED)

    def add(self, incident_id: int, person: PersonRow) -> None:
        self.incidents.add(incident_id)
        self.targeted += 1
        self.reached += person.reached
        if person.time_to_ack_seconds is not None:
            self.times_to_ack.append(person.time_to_ack_seconds)
        if not person.reached:
            self.not_reached[person.name] += 1
        self.cost += person.cost


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def weekly_figures(
    incidents: Iterable[Incident],
    *,
    rates: Rates | None,
    group: ContactGroup | None = None,
) -> list[Bucket]:
    """Per week, all people first and then each group with members called that week; with
    `group`, that group's rows only. Newest week first."""
    groups = (
        ContactGroup.objects.all() if group is None else ContactGroup.objects.filter(pk=group.pk)
    )
    members: dict[int, list[str]] = {}
    for g in groups:
        for contact_id in g.members.values_list("pk", flat=True):
            members.setdefault(contact_id, []).append(g.name)
    buckets: dict[tuple[date, str], Bucket] = {}
    for incident in incidents:
        week = week_of(incident.declared_at)
        for person in people_of(incident, rates=rates):
            names = members.get(person.contact_id or 0, [])
            for name in ([ALL_GROUPS] if group is None else []) + names:
                key = (week, name)
                bucket = buckets.setdefault(key, Bucket(week, name))
                bucket.add(incident.pk, person)
    return sorted(
        buckets.values(), key=lambda b: (-b.week.toordinal(), b.group != ALL_GROUPS, b.group)
    )
