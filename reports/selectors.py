"""Every figure of an incident's report, as plain functions over the stored record; the HTML
page, the API and the exports all read them here.

A person is one identifier (number or ACS id): a call-out's recipient with their attempts, or
someone on the incident's other calls (its bridge), counted once whichever calls they were on.
Legs are Participant rows: one per person per call, from `joined_at` to `left_at` (or the
call's end, or now while it is up). Someone who left and rejoined the same call keeps only the
last stretch there: the row holds one.

Times to acknowledge count from the declaration to the first acknowledging key, read from the
stored provider events (the rows record that someone acknowledged, not when).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from typing import TypeVar

from django.utils import timezone

from callouts.models import REACHED_OUTCOMES, Attempt, Outcome, Recipient
from calls import callback_events as ev
from calls import callbacks as cb
from calls.keypad import ANSWERING_ACTIONS, key_action
from calls.models import CallEvent, Participant
from incidents.models import Incident, TimelineEntry, TimelineKind
from reports.cost import ZERO, Rates, billed_minutes, leg_cost

CHUNK = 500
T = TypeVar("T")
ACKNOWLEDGE_TONE = "1"  # on a bridge (calls.services.applying)


@dataclass
class Leg:
    call_id: int
    on_bridge: bool
    joined_at: datetime
    left_at: datetime
    seconds: float
    minutes: int
    cost: Decimal


@dataclass
class AttemptRow:
    number: int
    outcome: str
    answered_at: datetime | None
    ended_at: datetime | None
    keys: str

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label if self.outcome else "in progress"


@dataclass
class PersonRow:
    identifier: str
    name: str
    contact_id: int | None
    attempts: list[AttemptRow] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    keys_pressed: str = ""
    acknowledged: bool = False
    declined: bool = False
    acknowledged_at: datetime | None = None
    time_to_ack_seconds: float | None = None

    @property
    def reached(self) -> bool:
        return self.acknowledged or self.declined

    @property
    def bridge_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.on_bridge]

    @property
    def bridge_joined_at(self) -> datetime | None:
        return min((leg.joined_at for leg in self.bridge_legs), default=None)

    @property
    def bridge_left_at(self) -> datetime | None:
        return max((leg.left_at for leg in self.bridge_legs), default=None)

    @property
    def bridge_seconds(self) -> float:
        return sum(leg.seconds for leg in self.bridge_legs)

    @property
    def cost(self) -> Decimal:
        return sum((leg.cost for leg in self.legs), ZERO)

    @property
    def callout_cost(self) -> Decimal:
        return sum((leg.cost for leg in self.legs if not leg.on_bridge), ZERO)

    @property
    def outcomes(self) -> str:
        """The attempts summarised: "1 no_answer; 2 acknowledged"."""
        return "; ".join(f"{a.number} {a.outcome or 'in_progress'}" for a in self.attempts)


@dataclass
class Summary:
    targeted: int = 0
    reached: int = 0
    acknowledged: int = 0
    declined: int = 0
    times_to_ack: list[float] = field(default_factory=list)
    first_responder: str | None = None
    first_responder_at: datetime | None = None
    cost: Decimal = ZERO
    callout_cost: Decimal = ZERO
    bridge_cost: Decimal = ZERO
    minutes: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def not_reached(self) -> int:
        return self.targeted - self.reached

    @property
    def time_to_first_ack(self) -> float | None:
        return min(self.times_to_ack, default=None)

    @property
    def time_to_ack_p50(self) -> float | None:
        return percentile(self.times_to_ack, 50)

    @property
    def time_to_ack_p90(self) -> float | None:
        return percentile(self.times_to_ack, 90)

    def add(self, person: PersonRow) -> None:
        self.targeted += 1
        self.reached += person.reached
        self.acknowledged += person.acknowledged
        self.declined += person.declined and not person.acknowledged
        if person.time_to_ack_seconds is not None:
            self.times_to_ack.append(person.time_to_ack_seconds)
        for leg in person.legs:
            self.minutes += leg.minutes
            self.cost += leg.cost
            if leg.on_bridge:
                self.bridge_cost += leg.cost
            else:
                self.callout_cost += leg.cost
        joined = person.bridge_joined_at
        if joined is not None and (
            self.first_responder_at is None or joined < self.first_responder_at
        ):
            self.first_responder, self.first_responder_at = person.name, joined
        for attempt in person.attempts:
            key = attempt.outcome or "in_progress"
            self.outcomes[key] = self.outcomes.get(key, 0) + 1


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of `size` (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile by linear interpolation between closest ranks (numpy's default):
    of [10, 20, 30, 40] the 50th is 25 and the 90th 37."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def people_of(incident: Incident, *, rates: Rates | None) -> Iterator[PersonRow]:
    """Every person of the incident, a call-out's recipients first (in their order), then the
    others by when they first joined; read `CHUNK` people at a time, so memory stays flat."""
    now = timezone.now()
    recipients = Recipient.objects.filter(callout__incident=incident).order_by("position")
    for chunk in batched(recipients.iterator(chunk_size=CHUNK), CHUNK):
        people = {
            r.identifier: PersonRow(r.identifier, r.name or r.identifier, r.contact_id)
            for r in chunk
        }
        _fill(incident, people, now=now, rates=rates, recipients=chunk)
        yield from people.values()
    others = (
        Participant.objects.filter(call__incident=incident, call__attempt__isnull=True)
        .exclude(identifier__in=recipients.values("identifier"))
        .order_by("identifier")
        .values_list("identifier", flat=True)
        .distinct()
    )
    for identifiers in batched(others.iterator(chunk_size=CHUNK), CHUNK):
        people = {i: PersonRow(i, i, None) for i in identifiers}
        contacts = Participant.objects.filter(
            call__incident=incident, identifier__in=identifiers, contact__isnull=False
        ).values_list("identifier", "contact__name", "contact_id")
        for identifier, name, contact_id in contacts:  # named even if they never joined
            people[identifier].name, people[identifier].contact_id = name, contact_id
        _fill(incident, people, now=now, rates=rates, recipients=())
        yield from sorted(people.values(), key=_first_joined)


def _first_joined(person: PersonRow) -> tuple[datetime, str]:
    return (person.bridge_joined_at or datetime.max.replace(tzinfo=UTC), person.identifier)


def _fill(
    incident: Incident,
    people: dict[str, PersonRow],
    *,
    now: datetime,
    rates: Rates | None,
    recipients: Iterable[Recipient],
) -> None:
    """Attempts, legs, keys and acknowledgements of `people`, in a few queries per chunk."""
    attempts = Attempt.objects.filter(recipient__in=list(recipients)).select_related(
        "recipient__callout"
    )
    acked_calls: dict[int, tuple[str, dict[str, str] | None]] = {}
    for attempt in attempts.order_by("recipient_id", "number"):
        person = people[attempt.recipient.identifier]
        person.attempts.append(
            AttemptRow(
                attempt.number, attempt.outcome, attempt.answered_at, attempt.ended_at, attempt.keys
            )
        )
        person.keys_pressed += attempt.keys
        person.acknowledged |= attempt.outcome == Outcome.ACKNOWLEDGED
        person.declined |= (
            attempt.outcome in REACHED_OUTCOMES and attempt.outcome != Outcome.ACKNOWLEDGED
        )
        if attempt.outcome == Outcome.ACKNOWLEDGED:
            acked_calls[attempt.call_id] = (person.identifier, attempt.recipient.callout.keypad)
    legs = Participant.objects.filter(
        call__incident=incident, identifier__in=list(people), joined_at__isnull=False
    ).select_related("call", "call__attempt", "contact")
    for participant in legs.order_by("joined_at", "id"):
        person = people[participant.identifier]
        on_bridge = not hasattr(participant.call, "attempt")
        person.legs.append(_leg(participant, on_bridge=on_bridge, now=now, rates=rates))
        if person.name == person.identifier and participant.contact is not None:
            person.name, person.contact_id = participant.contact.name, participant.contact_id
        if on_bridge:
            person.keys_pressed += participant.keys_pressed
            if participant.acknowledged:
                person.acknowledged = True
                acked_calls.setdefault(participant.call_id, (participant.identifier, None))
    for identifier, at in _acknowledged_at(acked_calls).items():
        person = people[identifier]
        if person.acknowledged_at is None or at < person.acknowledged_at:
            person.acknowledged_at = at
            person.time_to_ack_seconds = (at - incident.declared_at).total_seconds()


def _leg(participant: Participant, *, on_bridge: bool, now: datetime, rates: Rates | None) -> Leg:
    joined = participant.joined_at or now  # the query asks for joined legs only
    left = participant.left_at or participant.call.ended_at or now
    seconds = max((left - joined).total_seconds(), 0.0)
    cost = leg_cost(identifier=participant.identifier, seconds=seconds, rates=rates)
    return Leg(participant.call_id, on_bridge, joined, left, seconds, billed_minutes(seconds), cost)


def _acknowledged_at(calls: dict[int, tuple[str, dict[str, str] | None]]) -> dict[str, datetime]:
    """When each call's person acknowledged: a call-out call's first answering key (under its
    keypad), a bridge's first "1" pressed by them (or by someone the event does not name)."""
    found: dict[tuple[int, str], datetime] = {}
    tones = CallEvent.objects.filter(call_id__in=list(calls), event_type__icontains="tone")
    tones = tones | CallEvent.objects.filter(call_id__in=list(calls), event_type__icontains="dtmf")
    for row in tones.order_by("id").iterator(chunk_size=CHUNK):
        event = cb.parse_stored(row.payload, arrived=row.ingested_at or row.received_at)
        identifier, keypad = calls[row.call_id]
        if not isinstance(event, ev.ToneReceived) or (row.call_id, identifier) in found:
            continue
        if keypad is None:
            if event.tone == ACKNOWLEDGE_TONE and event.participant in (None, identifier):
                found[(row.call_id, identifier)] = event.event_time
            continue
        # The attempt was acknowledged, and its first answering key counted: that one.
        if key_action(keypad, event.tone) in ANSWERING_ACTIONS:
            found[(row.call_id, identifier)] = event.event_time
    result: dict[str, datetime] = {}
    for (_, identifier), at in found.items():
        if identifier not in result or at < result[identifier]:
            result[identifier] = at
    return result


@dataclass
class IncidentReport:
    incident: Incident
    rates: Rates | None
    summary: Summary
    people: list[PersonRow]
    escalations: list[TimelineEntry]

    @property
    def duration_seconds(self) -> float | None:
        end = self.incident.closed_at
        return (end - self.incident.declared_at).total_seconds() if end else None


def summary_of(incident: Incident, *, rates: Rates | None) -> Summary:
    """The headline figures, read person by person (the people are not kept)."""
    summary = Summary()
    for person in people_of(incident, rates=rates):
        summary.add(person)
    return summary


def incident_report(incident: Incident, *, rates: Rates | None) -> IncidentReport:
    """Everything the report page shows, its people held in memory (the exports stream)."""
    summary = Summary()
    people = []
    for person in people_of(incident, rates=rates):
        summary.add(person)
        people.append(person)
    return IncidentReport(incident, rates, summary, people, escalations_of(incident))


def timeline_of(incident: Incident) -> Iterator[TimelineEntry]:
    """The full timeline, oldest first, streamed."""
    entries = incident.timeline.select_related("actor").order_by("at", "id")
    return entries.iterator(chunk_size=CHUNK)


def escalations_of(incident: Incident) -> list[TimelineEntry]:
    """The steps its escalation took and how it stopped, as the escalation recorded them."""
    steps = incident.timeline.filter(kind=TimelineKind.ESCALATION)
    return list(steps.select_related("actor").order_by("at", "id"))


def acknowledgements_over_time(people: Iterable[PersonRow]) -> list[tuple[float, int]]:
    """(seconds after declaration, acknowledgements so far), one step per acknowledgement."""
    times = sorted(p.time_to_ack_seconds for p in people if p.time_to_ack_seconds is not None)
    return [(t, n) for n, t in enumerate(times, start=1)]


def bridge_lanes(
    people: Iterable[PersonRow], incident: Incident
) -> list[tuple[str, list[tuple[float, float]]]]:
    """Who was on the bridge when: per person, their (from, to) seconds after declaration."""
    lanes = []
    for person in people:
        spans = [
            (
                (leg.joined_at - incident.declared_at).total_seconds(),
                (leg.left_at - incident.declared_at).total_seconds(),
            )
            for leg in person.bridge_legs
        ]
        if spans:
            lanes.append((person.name, spans))
    return sorted(lanes, key=lambda lane: lane[1][0][0])
