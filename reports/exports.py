"""The report as records (JSON primitives) and as streams of CSV or JSON text, for the page's
downloads and the API alike. Everything here yields as it reads: people and timeline entries
come `reports.selectors.CHUNK` at a time, so 10,000 rows are never in memory at once."""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from incidents.models import Incident, TimelineEntry
from reports.cost import Rates
from reports.selectors import PersonRow, Summary, people_of, summary_of, timeline_of

Record = dict[str, Any]
PERSON_COLUMNS = [
    "name",
    "identifier",
    "attempts",
    "outcomes",
    "reached",
    "acknowledged",
    "declined",
    "acknowledged_at",
    "time_to_ack_seconds",
    "bridge_joined_at",
    "bridge_left_at",
    "bridge_seconds",
    "keys_pressed",
    "billed_minutes",
    "estimated_cost",
    "currency",
]
TIMELINE_COLUMNS = ["at", "kind", "actor", "text"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _seconds(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def summary_record(summary: Summary, rates: Rates | None) -> Record:
    return {
        "targeted": summary.targeted,
        "reached": summary.reached,
        "acknowledged": summary.acknowledged,
        "declined": summary.declined,
        "not_reached": summary.not_reached,
        "time_to_first_ack_seconds": _seconds(summary.time_to_first_ack),
        "time_to_ack_p50_seconds": _seconds(summary.time_to_ack_p50),
        "time_to_ack_p90_seconds": _seconds(summary.time_to_ack_p90),
        "first_responder": summary.first_responder,
        "estimated_cost": str(summary.cost) if rates else None,
        "currency": rates.currency if rates else None,
    }


def person_record(person: PersonRow, rates: Rates | None) -> Record:
    """One person, their attempts summarised ("1 no_answer; 2 acknowledged")."""
    return {
        "name": person.name,
        "identifier": person.identifier,
        "attempts": len(person.attempts),
        "outcomes": person.outcomes,
        "reached": person.reached,
        "acknowledged": person.acknowledged,
        "declined": person.declined,
        "acknowledged_at": _iso(person.acknowledged_at),
        "time_to_ack_seconds": _seconds(person.time_to_ack_seconds),
        "bridge_joined_at": _iso(person.bridge_joined_at),
        "bridge_left_at": _iso(person.bridge_left_at),
        "bridge_seconds": _seconds(person.bridge_seconds),
        "keys_pressed": person.keys_pressed,
        "billed_minutes": sum(leg.minutes for leg in person.legs),
        "estimated_cost": str(person.cost) if rates else None,
        "currency": rates.currency if rates else None,
    }


def timeline_record(entry: TimelineEntry) -> Record:
    return {
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "actor": entry.actor.get_username() if entry.actor else None,
        "text": entry.text,
    }


def people_records(incident: Incident, rates: Rates | None) -> Iterator[Record]:
    return (person_record(p, rates) for p in people_of(incident, rates=rates))


def timeline_records(incident: Incident) -> Iterator[Record]:
    return (timeline_record(e) for e in timeline_of(incident))


class _Line:
    """csv.writer's file: hands back each row instead of keeping it."""

    def write(self, text: str) -> str:
        return text


def csv_stream(records: Iterable[Record], columns: list[str]) -> Iterator[str]:
    writer = csv.DictWriter(_Line(), fieldnames=columns)
    yield writer.writeheader()
    for record in records:
        yield writer.writerow({k: "" if v is None else v for k, v in record.items()})


def json_array_stream(records: Iterable[Record]) -> Iterator[str]:
    yield "["
    for i, record in enumerate(records):
        yield ("," if i else "") + json.dumps(record)
    yield "]"


def report_json_stream(incident: Incident, rates: Rates | None) -> Iterator[str]:
    """The API's answer: the summary (one pass over the people), then the people and the
    timeline, each streamed."""
    summary = summary_record(summary_of(incident, rates=rates), rates)
    yield '{"summary":' + json.dumps(summary) + ',"people":'
    yield from json_array_stream(people_records(incident, rates))
    yield ',"timeline":'
    yield from json_array_stream(timeline_records(incident))
    yield "}"
