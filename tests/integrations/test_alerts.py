"""Alerts from monitoring declare incidents once per key, note repeats and resolve on clear.

The bodies are the samples beside this file, as Alertmanager, Grafana and our generic shape
post them. The alerts' tasks are run by hand as a worker runs them (tests.callouts.conftest).
"""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from calls.models import CallMode
from incidents.models import Incident, IncidentStatus, Severity
from integrations.models import Alert, AlertOutcome, Integration, IntegrationKind
from integrations.services import processing
from integrations.services.recovery import recover_alerts
from tests.callouts.conftest import run_tasks
from tests.factories import CallerNumberFactory, ContactFactory, ContactGroupFactory

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).parent / "samples"
KINDS = {
    IntegrationKind.ALERTMANAGER: ("Shop front page is down", Severity.CRITICAL),
    IntegrationKind.GRAFANA: ("High memory usage in zone us-1", Severity.MAJOR),
    IntegrationKind.GENERIC: ("Backup job failed on db-2", Severity.CRITICAL),
}


def integration(kind: str = IntegrationKind.ALERTMANAGER, **fields: Any) -> Integration:
    """An integration that calls a group of two in broadcast mode (the worker dials)."""
    CallerNumberFactory.create()
    made = Integration.objects.create(
        name=f"{kind} alerts", kind=kind, mode=CallMode.BROADCAST, **fields
    )
    group = ContactGroupFactory.create()
    group.members.add(*ContactFactory.create_batch(2))
    made.groups.add(group)
    return made


def body(kind: str, state: str) -> bytes:
    return (SAMPLES / f"{kind}-{state}.json").read_bytes()


def post(made: Integration, data: bytes, *, token: str | None = None) -> Any:
    url = f"/api/integrations/{token or made.token}/alerts/"
    return Client().post(url, data, content_type="application/json")


def alert_then_process(made: Integration, data: bytes) -> Alert:
    response = post(made, data)
    assert response.status_code == 202, response.json()
    assert response.json()["outcome"] == "queued"
    processing.process(alert_id=response.json()["alert"])
    return Alert.objects.get(pk=response.json()["alert"])


@pytest.mark.parametrize("kind", list(KINDS), ids=str)
def test_a_firing_alert_declares_once_repeats_are_noted_and_resolved_resolves(
    kind: IntegrationKind,
) -> None:
    made = integration(kind)
    title, severity = KINDS[kind]
    first = alert_then_process(made, body(kind, "firing"))
    assert first.outcome == AlertOutcome.DECLARED
    incident = Incident.objects.get()
    assert (incident.title, incident.severity) == (title, severity)
    assert incident.callout.recipients.count() == 2
    assert incident.timeline.filter(text__startswith="Declared by an alert from").exists()

    repeat = alert_then_process(made, body(kind, "firing"))
    assert (repeat.outcome, repeat.incident) == (AlertOutcome.REPEATED, incident)
    assert Incident.objects.count() == 1
    assert incident.timeline.filter(text__startswith="The alert fired again").count() == 1

    cleared = alert_then_process(made, body(kind, "resolved"))
    assert cleared.outcome == AlertOutcome.RESOLVED
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    # Firing again once its incident is closed: a new incident.
    assert alert_then_process(made, body(kind, "firing")).outcome == AlertOutcome.DECLARED
    assert Incident.objects.count() == 2


def test_the_alert_is_queued_with_its_task_in_one_go_and_the_worker_runs_it() -> None:
    made = integration()
    response = post(made, body("alertmanager", "firing"))
    assert response.status_code == 202
    assert DBTaskResult.objects.filter(task_path__endswith="process_alert").count() == 1
    assert not Incident.objects.exists()
    assert "process_alert" in run_tasks()
    assert Alert.objects.get().outcome == AlertOutcome.DECLARED


def test_without_resolve_on_clear_a_resolved_alert_is_only_noted() -> None:
    made = integration(IntegrationKind.GENERIC, resolve_on_clear=False)
    alert_then_process(made, body("generic", "firing"))
    cleared = alert_then_process(made, body("generic", "resolved"))
    assert cleared.outcome == AlertOutcome.CLEARED
    incident = Incident.objects.get()
    assert incident.is_open
    assert incident.timeline.filter(text__startswith="The alert was resolved").exists()


def test_a_resolved_alert_with_nothing_open_changes_nothing() -> None:
    made = integration(IntegrationKind.GENERIC)
    assert alert_then_process(made, body("generic", "resolved")).outcome == AlertOutcome.IGNORED
    assert not Incident.objects.exists()


def test_the_severity_map_decides_the_incidents_severity() -> None:
    made = integration(IntegrationKind.GENERIC, severity_map={"critical": "minor"})
    alert_then_process(made, body("generic", "firing"))
    assert Incident.objects.get().severity == Severity.MINOR


def test_an_integration_that_calls_nobody_marks_the_alert_failed_with_the_reason() -> None:
    made = integration(IntegrationKind.GENERIC)
    made.groups.clear()
    failed = alert_then_process(made, body("generic", "firing"))
    assert failed.outcome == AlertOutcome.FAILED
    assert "at least one" in failed.message
    assert not Incident.objects.exists()


def test_an_incident_another_worker_declared_meanwhile_makes_this_alert_a_repeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = integration(IntegrationKind.GENERIC)
    first = post(made, body("generic", "firing")).json()["alert"]
    second = post(made, body("generic", "firing")).json()["alert"]
    processing.process(alert_id=first)
    # The second worker looked before the first declared: it saw nothing open.
    looks = iter([None])
    real = processing.open_incident_of
    monkeypatch.setattr(processing, "open_incident_of", lambda a: next(looks, real(a)))
    processing.process(alert_id=second)
    assert Incident.objects.count() == 1
    assert Alert.objects.get(pk=second).outcome == AlertOutcome.REPEATED


BAD = [
    ("alertmanager", b"not json", "not JSON"),
    ("alertmanager", b"[1, 2]", "must be a JSON object"),
    ("alertmanager", b"\xff\xfe", "not JSON"),
    ("alertmanager", json.dumps({"version": "3", "groupKey": "g"}).encode(), '"version": "4"'),
    ("alertmanager", json.dumps({"version": "4", "alerts": []}).encode(), "no groupKey"),
    ("grafana", json.dumps({"groupKey": "g", "status": "firing"}).encode(), "no alerts list"),
    ("generic", json.dumps({"status": "firing"}).encode(), 'needs a "title"'),
    ("generic", json.dumps({"title": "x", "status": "on"}).encode(), '"firing" or "resolved"'),
    ("generic", json.dumps({"title": "x", "severity": 5}).encode(), '"severity" must be'),
]


@pytest.mark.parametrize(("kind", "data", "says"), BAD, ids=repr)
def test_a_bad_body_is_refused_with_its_reason_and_kept(kind: str, data: bytes, says: str) -> None:
    made = integration(kind)
    response = post(made, data)
    assert response.status_code == 400
    assert response.json()["code"] == "alert_refused" and says in response.json()["message"]
    kept = Alert.objects.get()
    assert kept.outcome == AlertOutcome.REFUSED and says in kept.message
    assert kept.body == data.decode("utf-8", errors="replace")
    assert not DBTaskResult.objects.exists()


def test_a_wrong_or_inactive_token_is_not_found_and_keeps_nothing() -> None:
    made = integration()
    assert post(made, body("alertmanager", "firing"), token="nope").status_code == 404
    made.is_active = False
    made.save()
    response = post(made, body("alertmanager", "firing"))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Alert.objects.exists()


def test_an_alert_whose_task_died_with_its_worker_is_queued_again_once() -> None:
    made = integration()
    post(made, body("alertmanager", "firing"))
    DBTaskResult.objects.all().delete()  # as if taken by a worker that was then killed
    assert recover_alerts() == 0  # too young to be lost
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert recover_alerts() == 1
        assert recover_alerts() == 0  # its task waits now
    run_tasks()
    assert Alert.objects.get().outcome == AlertOutcome.DECLARED
