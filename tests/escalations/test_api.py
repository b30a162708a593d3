"""The escalation policies API (admins), "escalate now", and declaring with a policy."""

from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from calls.models import CallMode
from escalations.models import EscalationPolicy
from incidents.models import Incident
from integrations.models import Alert, Integration, IntegrationKind
from integrations.services import processing
from tests.conftest import token_client
from tests.escalations.scenario import A, B, C, declare, escalation_of, policy
from tests.factories import CallerNumberFactory, ContactFactory, ContactGroupFactory
from tests.integrations.test_alerts import body, post
from tests.provider_fake import FakeProvider

pytestmark = pytest.mark.django_db
URL = "/api/escalation-policies/"


def steps(*modes: str) -> list[dict[str, Any]]:
    return [{"targets": [A], "mode": mode, "wait_seconds": 60} for mode in modes]


def test_an_admin_creates_reads_changes_and_deletes_a_policy(admin_user: User) -> None:
    client = token_client(admin_user)
    group = ContactGroupFactory.create()
    contact = ContactFactory.create()
    given = {
        "name": "Database",
        "ack_quorum": 2,
        "steps": [
            {"groups": [group.pk], "mode": "bridge", "wait_seconds": 300},
            {
                "contacts": [contact.pk],
                "targets": ["+1 425 555 0102"],
                "mode": "broadcast",
                "wait_seconds": 0,
            },
        ],
    }
    made = client.post(URL, given, format="json")
    assert made.status_code == 201, made.json()
    answer = made.json()
    assert answer["ack_quorum"] == 2
    assert answer["steps"] == [
        {
            "groups": [group.pk],
            "contacts": [],
            "targets": [],
            "mode": "bridge",
            "wait_seconds": 300,
        },
        {
            "groups": [],
            "contacts": [contact.pk],
            "targets": [B],
            "mode": "broadcast",
            "wait_seconds": 0,
        },
    ]
    url = f"{URL}{answer['id']}/"
    assert client.get(url).json() == answer
    changed = client.patch(url, {"steps": steps("broadcast")}, format="json")
    assert changed.status_code == 200
    assert [s["mode"] for s in changed.json()["steps"]] == ["broadcast"]
    assert changed.json()["name"] == "Database"
    assert client.delete(url).status_code == 204
    assert not EscalationPolicy.objects.exists()


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"name": "X", "steps": []}, "steps"),
        ({"name": "X", "ack_quorum": 0, "steps": steps("bridge")}, "ack_quorum"),
        ({"name": "X", "steps": [{"targets": ["nope"], "wait_seconds": 1}]}, "steps"),
        ({"name": "X", "steps": [{"mode": "fax", "wait_seconds": 1}]}, "steps"),
        ({"name": "X", "steps": [{"wait_seconds": -1}]}, "steps"),
        ({"name": "Taken", "steps": steps("bridge")}, "name"),
        ({"steps": steps("bridge")}, "name"),
    ],
)
def test_bad_policies_are_refused_with_the_error_shape(
    admin_user: User, given: dict[str, Any], field: str
) -> None:
    policy(([A], CallMode.BRIDGE, 0))
    EscalationPolicy.objects.update(name="Taken")
    response = token_client(admin_user).post(URL, given, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid"
    assert answer["message"]
    assert field in answer["errors"]


@pytest.mark.parametrize("fixture", ["viewer", "operator"])
def test_only_admins_configure_policies(request: pytest.FixtureRequest, fixture: str) -> None:
    client = token_client(request.getfixturevalue(fixture))
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"name": "X", "steps": steps("bridge")}, format="json").status_code == 403
    )
    assert token_client(None).get(URL).status_code == 401


def test_the_policies_are_in_the_openapi_schema(admin_user: User) -> None:
    schema = token_client(admin_user).get("/api/schema/", {"format": "json"}).json()
    assert "/api/escalation-policies/" in schema["paths"]
    assert "/api/incidents/{id}/escalate/" in schema["paths"]


def test_declaring_through_the_api_with_a_policy_calls_step_1_in_its_mode(
    operator: User, provider: FakeProvider
) -> None:
    CallerNumberFactory.create()
    made = policy(([A], CallMode.BROADCAST, 60), ([B], CallMode.BRIDGE, 0))
    response = token_client(operator).post(
        "/api/incidents/",
        {"title": "Down", "targets": [C], "mode": "bridge", "escalation_policy": made.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    incident_id = response.json()["id"]
    assert response.json()["callout"]["total"] == 2  # step 1 is a call-out: C and A
    assert escalation_of(Incident.objects.get(pk=incident_id)).current_step == 1


def test_an_unknown_policy_is_refused(operator: User) -> None:
    response = token_client(operator).post(
        "/api/incidents/",
        {"title": "Down", "targets": [C], "escalation_policy": 999},
        format="json",
    )
    assert response.status_code == 400
    assert "escalation_policy" in response.json()["errors"]


def test_escalate_now_through_the_api(operator: User, viewer: User) -> None:
    CallerNumberFactory.create()
    made = policy(([A], CallMode.BROADCAST, 600), ([B], CallMode.BROADCAST, 0))
    incident = declare(made)
    url = f"/api/incidents/{incident.pk}/escalate/"
    assert token_client(viewer).post(url).status_code == 403
    response = token_client(operator).post(url)
    assert response.status_code == 200, response.json()
    assert (response.json()["current_step"], response.json()["state"]) == (2, "finished")
    again = token_client(operator).post(url)
    assert again.status_code == 409
    assert again.json()["code"] == "escalation_not_running"


def test_escalate_now_without_an_escalation_is_a_conflict(operator: User) -> None:
    CallerNumberFactory.create()
    made = policy(([A], CallMode.BROADCAST, 600))
    incident = declare(made)
    incident.escalation.delete()
    response = token_client(operator).post(f"/api/incidents/{incident.pk}/escalate/")
    assert response.status_code == 409


def test_an_alert_of_an_integration_with_a_policy_declares_an_escalating_incident() -> None:
    CallerNumberFactory.create()
    made = policy(([A], CallMode.BROADCAST, 120), ([B], CallMode.BROADCAST, 0), ack_quorum=1)
    integration = Integration.objects.create(
        name="Prometheus", kind=IntegrationKind.ALERTMANAGER, escalation_policy=made
    )
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        response = post(integration, body("alertmanager", "firing"))
        processing.process(alert_id=response.json()["alert"])
    escalation = escalation_of(_incident_of_alert(response.json()["alert"]))
    assert escalation.policy == made
    assert escalation.current_step == 1
    callout = escalation.incident.callout
    assert list(callout.recipients.values_list("identifier", flat=True)) == [A]


def _incident_of_alert(alert_id: int) -> Incident:
    incident = Alert.objects.get(pk=alert_id).incident
    assert incident is not None
    return incident
