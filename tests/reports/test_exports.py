"""The report's downloads and API: their shape, who may read them, and bounded memory."""

import csv
import io
import json
import tracemalloc
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calls.models import CallMode
from calls.targets import resolve_targets
from incidents.models import Incident, TimelineKind
from incidents.services import declare_incident
from incidents.timeline import add_timeline_entry, batched_timeline
from reports.exports import PERSON_COLUMNS, csv_stream, people_records, timeline_records
from tests.callouts.declared import declared_callout
from tests.conftest import token_client
from tests.provider_fake import FakeProvider
from tests.reports.histories import CALLOUT_PEOPLE, callout_history, set_rates

pytestmark = pytest.mark.django_db


def _body(response: Any) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_the_api_answers_the_summary_people_and_timeline(
    pool: Any, provider: FakeProvider, viewer: User
) -> None:
    set_rates()
    incident = callout_history().incident
    response = token_client(viewer).get(f"/api/incidents/{incident.pk}/report/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = json.loads(_body(response))
    assert body["summary"] == {
        "targeted": 5,
        "reached": 4,
        "acknowledged": 3,
        "declined": 1,
        "not_reached": 1,
        "time_to_first_ack_seconds": 30.0,
        "time_to_ack_p50_seconds": 80.0,
        "time_to_ack_p90_seconds": 176.0,
        "first_responder": None,
        "estimated_cost": "0.0910",
        "currency": "EUR",
    }
    assert [p["identifier"] for p in body["people"]] == CALLOUT_PEOPLE
    c = body["people"][2]
    assert set(c) == set(PERSON_COLUMNS)
    assert (c["outcomes"], c["time_to_ack_seconds"], c["billed_minutes"]) == (
        "1 no_answer; 2 acknowledged",
        200.0,
        2,
    )
    assert c["estimated_cost"] == "0.0260" and c["acknowledged_at"].startswith(
        "2026-11-30T09:03:20"
    )
    texts = [e["text"] for e in body["timeline"]]
    assert len(texts) == incident.timeline.count() and set(body["timeline"][0]) == {
        "at",
        "kind",
        "actor",
        "text",
    }


def test_format_csv_streams_one_row_per_person(
    pool: Any, provider: FakeProvider, viewer: User
) -> None:
    set_rates()
    incident = callout_history().incident
    response = token_client(viewer).get(f"/api/incidents/{incident.pk}/report/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [r["identifier"] for r in rows] == CALLOUT_PEOPLE
    assert [r["outcomes"] for r in rows] == [
        "1 acknowledged",
        "1 acknowledged",
        "1 no_answer; 2 acknowledged",
        "1 declined_by_key",
        "1 no_answer; 2 no_answer",
    ]
    assert [r["estimated_cost"] for r in rows] == ["0.0260"] * 3 + ["0.0130", "0.0000"]


def test_the_page_downloads_each_table_in_each_format(
    pool: Any, provider: FakeProvider, viewer: User
) -> None:
    incident = callout_history().incident
    client = Client()
    client.force_login(viewer)
    base = f"/incidents/{incident.pk}/report"
    people = list(csv.DictReader(io.StringIO(_body(client.get(f"{base}/people.csv")))))
    assert len(people) == 5 and people[0]["estimated_cost"] == ""  # no rates set
    timeline = json.loads(_body(client.get(f"{base}/timeline.json")))
    assert len(timeline) == incident.timeline.count()
    response = client.get(f"{base}/timeline.csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="incident-{incident.pk}-timeline.csv"'
    )
    assert client.get(f"{base}/people.xml").status_code == 404


def test_whoever_may_not_view_the_incident_is_refused(provider: FakeProvider) -> None:
    incident = declared_callout(2).incident
    nobody = User.objects.create_user("nobody")
    assert token_client(nobody).get(f"/api/incidents/{incident.pk}/report/").status_code == 403
    response = token_client(None).get(f"/api/incidents/{incident.pk}/report/?format=csv")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    client = Client()
    client.force_login(nobody)
    assert client.get(f"/incidents/{incident.pk}/report/").status_code == 403
    assert client.get(f"/incidents/{incident.pk}/report/people.csv").status_code == 403


def test_a_missing_incident_is_a_404_in_the_error_shape(viewer: User) -> None:
    response = token_client(viewer).get("/api/incidents/999/report/?format=csv")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _peak_bytes(chunks: Iterable[str]) -> int:
    tracemalloc.start()
    try:
        for _ in chunks:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _incident_of(people: int) -> Incident:
    """A call-out to `people` (nobody dialled yet), and as many timeline entries."""
    incident = declare_incident(
        title="Big",
        targets=resolve_targets(numbers=[f"+14252{n:06d}" for n in range(people)]),
        mode=CallMode.BROADCAST,
        declared_by=None,
    )
    with batched_timeline():
        for n in range(people):
            add_timeline_entry(incident_id=incident.pk, kind=TimelineKind.ACTION, text=f"Step {n}")
    return incident


def test_exports_of_10000_rows_run_in_bounded_memory(
    django_capture_on_commit_callbacks: Any,
) -> None:
    small, large = _incident_of(1_000), _incident_of(10_000)
    peaks = {}
    for incident in (small, large):
        people = csv_stream(people_records(incident, None), PERSON_COLUMNS)
        timeline = csv_stream(timeline_records(incident), ["at", "kind", "actor", "text"])
        peaks[incident.pk] = (_peak_bytes(people), _peak_bytes(timeline))
        assert sum(1 for _ in csv_stream(people_records(incident, None), PERSON_COLUMNS)) > 1_000
    (small_people, small_timeline), (large_people, large_timeline) = (
        peaks[small.pk],
        peaks[large.pk],
    )
    # Ten times the rows, the same chunks in memory: the peak does not grow with the count.
    assert large_people < small_people * 1.5, peaks
    assert large_timeline < small_timeline * 1.5, peaks


def test_streamed_people_are_read_in_a_few_queries_per_chunk() -> None:
    incident = declared_callout(1_200).incident  # three chunks of 500
    with CaptureQueriesContext(connection) as queries:
        assert sum(1 for _ in people_records(incident, None)) == 1_200
    assert len(queries) < 20
