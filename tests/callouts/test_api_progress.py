"""What the API reports of a call-out: its progress, the incident's summary of it, and the
recipients (pages, status filter) with their attempts, row for row as the live view."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from callouts.events import recipient_payload
from callouts.models import Attempt, CallerNumber, Outcome, Recipient, RecipientStatus
from callouts.serializers import CalloutOutput
from calls.models import Call, CallMode
from tests.callouts.declared import declared_callout
from tests.conftest import token_client
from tests.factories import CallFactory, IncidentFactory

URL = "/api/incidents/"


def _attempt(recipient: Recipient, *, outcome: str = "", ended: bool = False) -> Attempt:
    number, _ = CallerNumber.objects.get_or_create(number="+14255550100")
    now = timezone.now()
    return Attempt.objects.create(
        recipient=recipient,
        number=recipient.attempts.count() + 1,
        call=CallFactory.create(incident=recipient.callout.incident, mode=CallMode.BROADCAST),
        caller_number=number,
        scheduled_at=now,
        claimed_at=now - timedelta(seconds=40),
        ended_at=now if ended else None,
        outcome=outcome,
        keys="1" if outcome == Outcome.ACKNOWLEDGED else "",
    )


@pytest.mark.django_db
def test_progress_counts_each_status_and_estimates_the_end(viewer: User) -> None:
    callout = declared_callout(4)
    first, second, *_ = callout.recipients.order_by("position")
    Recipient.objects.filter(pk=first.pk).update(status=RecipientStatus.ACKNOWLEDGED)
    Recipient.objects.filter(pk=second.pk).update(status=RecipientStatus.DIALLING)

    body = token_client(viewer).get(f"{URL}{callout.incident_id}/callout/").json()

    assert body == {
        "state": "running",
        "stop_reason": "",
        "total": 4,
        "pending": 2,
        "dialling": 1,
        "acknowledged": 1,
        "declined": 0,
        "not_reached": 0,
        "failed": 0,
        "stopped": 0,
        "estimated_completion": body["estimated_completion"],
    }
    assert body["estimated_completion"] > timezone.now().isoformat()[:19]


@pytest.mark.django_db
def test_an_incident_without_a_callout_answers_no_callout(viewer: User) -> None:
    incident = IncidentFactory.create()
    client = token_client(viewer)
    for path in ("callout/", "recipients/"):
        response = client.get(f"{URL}{incident.pk}/{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "no_callout"
    assert client.get(f"{URL}999999/callout/").json()["code"] == "not_found"


@pytest.mark.django_db
def test_the_incident_lists_its_bridge_calls_not_the_attempts_and_sums_up_the_callout(
    viewer: User,
) -> None:
    callout = declared_callout(2)
    _attempt(callout.recipients.first())  # type: ignore[arg-type]
    bridge = CallFactory.create(incident=callout.incident, mode=CallMode.BRIDGE)

    body = token_client(viewer).get(f"{URL}{callout.incident_id}/").json()

    assert [call["id"] for call in body["calls"]] == [bridge.pk]
    assert Call.objects.filter(incident=callout.incident).count() == 2
    assert body["callout"]["total"] == 2 and body["callout"]["state"] == "running"
    plain = IncidentFactory.create()
    assert token_client(viewer).get(f"{URL}{plain.pk}/").json()["callout"] is None


@pytest.mark.django_db
def test_recipients_are_paged_in_calling_order_with_their_attempts(viewer: User) -> None:
    callout = declared_callout(5)
    first = callout.recipients.get(position=1)
    _attempt(first, outcome=Outcome.NO_ANSWER, ended=True)
    _attempt(first)
    client = token_client(viewer)

    page = client.get(f"{URL}{callout.incident_id}/recipients/", {"page_size": 2}).json()

    assert page["count"] == 5 and page["next"] and page["previous"] is None
    row = page["results"][0]
    assert set(row) == {"id", "position", "identifier", "name", "status", "attempts"}
    assert (row["id"], row["identifier"], row["status"]) == (first.pk, "+14255550100", "pending")
    done, ringing = row["attempts"]
    assert (done["number"], done["outcome"], done["keys"]) == (1, "no_answer", "")
    assert done["started_at"] and done["ended_at"]
    assert (ringing["outcome"], ringing["ended_at"]) == (None, None)
    last = client.get(page["next"].replace("page=2", "page=3")).json()
    assert [r["position"] for r in last["results"]] == [5]


@pytest.mark.django_db
def test_recipients_filter_by_status_and_refuse_an_unknown_one(viewer: User) -> None:
    callout = declared_callout(3)
    Recipient.objects.filter(position=2).update(status=RecipientStatus.NOT_REACHED)
    client = token_client(viewer)
    path = f"{URL}{callout.incident_id}/recipients/"

    rows = client.get(path, {"status": "not_reached"}).json()["results"]
    assert [r["position"] for r in rows] == [2]
    assert client.get(path, {"status": "declined"}).json()["count"] == 0
    refused = client.get(path, {"status": "reached"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid" and "status" in refused.json()["errors"]


@pytest.mark.django_db
def test_the_live_row_is_the_apis_row_and_its_control(viewer: User) -> None:
    callout = declared_callout(1)
    recipient = callout.recipients.get()
    _attempt(recipient, outcome=Outcome.ACKNOWLEDGED, ended=True)
    api_row = token_client(viewer).get(f"{URL}{callout.incident_id}/recipients/").json()
    # Round-tripped through JSON, as the channel layer's Redis would carry it.
    live_row = json.loads(json.dumps(recipient_payload(recipient)))
    assert live_row == {**api_row["results"][0], "can_ring_again": False}


def test_the_progress_has_a_count_for_every_recipient_status() -> None:
    counts = set(CalloutOutput().fields) - {"state", "stop_reason", "total", "estimated_completion"}
    assert counts == set(RecipientStatus.values)
