"""The dashboard: the declare form's policy, the incident page's panel and its live events,
and the "Escalate now" view."""

from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from calls.models import CallMode
from escalations.models import Escalation
from escalations.services.stepping import advance_escalation
from incidents.models import Incident
from tests.conftest import Listener
from tests.escalations.scenario import A, B, C, declare, policy
from tests.factories import CallerNumberFactory
from tests.incidents.test_callout_page import snapshot_of
from tests.provider_fake import FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def caller_number(db: None) -> None:
    CallerNumberFactory.create()


def test_the_declare_form_escalates_by_the_chosen_policy_in_step_1s_mode(
    operator_client: Client, provider: FakeProvider
) -> None:
    made = policy(([A], CallMode.BROADCAST, 60), ([B], CallMode.BRIDGE, 0))
    page = operator_client.get("/incidents/declare/")
    assert made.name in page.content.decode()
    response = operator_client.post(
        "/incidents/declare/",
        {
            "title": "Down",
            "severity": "major",
            "mode": "bridge",
            "numbers": C,
            "escalation_policy": made.pk,
            "voice": "en-US-JennyNeural",
        },
    )
    assert response.status_code == 302, response.content
    incident = Incident.objects.get()
    assert incident.escalation.current_step == 1
    identifiers = incident.callout.recipients.values_list("identifier", flat=True)
    assert sorted(identifiers) == sorted([A, C])


def test_the_page_shows_the_escalation_and_escalate_now_answers_json(
    operator_client: Client,
) -> None:
    made = policy(([A], CallMode.BROADCAST, 600), ([B], CallMode.BROADCAST, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        page = operator_client.get(f"/incidents/{incident.pk}/")
    assert 'id="escalation"' in page.content.decode()
    assert snapshot_of(page.content)["escalation"] == {
        "policy": made.name,
        "state": "running",
        "state_label": "Running",
        "stop_reason": "",
        "stop_reason_label": "",
        "current_step": 1,
        "steps": 2,
        "next_step_at": "2026-12-02T10:10:00+00:00",
        "can_escalate": True,
    }
    url = f"/incidents/{incident.pk}/escalate/"
    done = operator_client.post(url, headers={"Accept": "application/json"})
    assert done.json() == {"message": "Escalated: step 2 of 2 is calling."}
    refused = operator_client.post(url, headers={"Accept": "application/json"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "escalation_not_running"


def test_each_step_and_the_stop_are_broadcast_after_commit(
    listen: Callable[[int], Listener], django_capture_on_commit_callbacks: Any, viewer: User
) -> None:
    made = policy(([A], CallMode.BROADCAST, 60), ([B], CallMode.BROADCAST, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        listener = listen(incident.pk)  # in the travel: the layer's messages expire after 60 s
        with django_capture_on_commit_callbacks(execute=True):
            advance_escalation(escalation_id=Escalation.objects.get().pk)
        (event,) = [e for e in listener.drain() if e["kind"] == "escalation"]
    assert event["data"]["current_step"] == 2
    assert (event["data"]["state"], event["data"]["stop_reason"]) == ("finished", "steps_exhausted")
    assert event["data"]["can_escalate"] is False
