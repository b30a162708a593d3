"""The incident page of a call-out: its progress, its recipient table a page at a time, Stop and
ring again, and what its snapshot holds (not the calls of its attempts)."""

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from callouts.console import RECIPIENTS_PER_PAGE
from callouts.models import (
    Attempt,
    CallerNumber,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
    StopReason,
)
from calls.models import Call, CallMode, Participant, ParticipantState
from calls.targets import Target
from incidents.models import Incident
from incidents.selectors import incident_snapshot
from incidents.services import declare_incident
from tests.factories import CallFactory, ParticipantFactory


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def callout_incident(people: int, *, title: str = "Fire drill") -> Incident:
    """An incident whose call-out rings `people` numbers, none of them called yet."""
    targets = [Target(f"+1425{n:07d}", None) for n in range(people)]
    return declare_incident(title=title, targets=targets, mode=CallMode.BROADCAST, declared_by=None)


def attempt_each(recipients: list[Recipient], number: int = 1, **fields: Any) -> list[Attempt]:
    """An attempt (and its call) per recipient, as the engine records them."""
    caller, _ = CallerNumber.objects.get_or_create(number="+14255550100")
    incident_id = recipients[0].callout.incident_id
    calls = Call.objects.bulk_create(
        Call(incident_id=incident_id, mode=CallMode.BROADCAST) for _ in recipients
    )
    now = timezone.now()
    return Attempt.objects.bulk_create(
        Attempt(
            recipient=recipient,
            number=number,
            call=call,
            caller_number=caller,
            scheduled_at=now,
            claimed_at=now,
            **fields,
        )
        for recipient, call in zip(recipients, calls, strict=True)
    )


def snapshot_of(page: bytes) -> dict[str, Any]:
    found = re.search(rb'<script id="incident-snapshot" type="application/json">(.*?)<', page)
    assert found, "the page embeds no snapshot"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


# --- The page -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_progress_and_the_first_page_of_recipients(operator: User) -> None:
    incident = callout_incident(120)
    callout = incident.callout
    first = list(callout.recipients.order_by("position")[:3])
    attempt_each(first, ended_at=timezone.now(), outcome=Outcome.ACKNOWLEDGED, keys="1")
    Recipient.objects.filter(pk__in=[r.pk for r in first]).update(
        status=RecipientStatus.ACKNOWLEDGED, attempts_made=1
    )
    page = client_for(operator).get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="callout-bar" role="progressbar"' in body and "Stop call-out" in body
    snapshot = snapshot_of(page.content)
    assert snapshot["callout"]["total"] == 120
    assert snapshot["callout"]["counts"]["acknowledged"] == 3
    assert snapshot["callout"]["counts"]["pending"] == 117
    assert snapshot["callout"]["can_stop"] is True
    assert snapshot["callout"]["estimated_completion"] is not None
    recipients = snapshot["recipients"]
    assert (recipients["page"], recipients["num_pages"], recipients["count"]) == (1, 3, 120)
    assert len(recipients["rows"]) == RECIPIENTS_PER_PAGE
    assert [r["position"] for r in recipients["rows"][:2]] == [1, 2]
    assert recipients["rows"][0]["attempts"][0]["outcome"] == "acknowledged"
    assert recipients["rows"][0]["attempts"][0]["keys"] == "1"
    assert recipients["rows"][0]["can_ring_again"] is True
    assert recipients["rows"][3]["can_ring_again"] is False  # waiting to be called
    # The attempts' calls are the table's rows, not cards of their own.
    assert snapshot["calls"] == [] and snapshot["participants"] == []


@pytest.mark.django_db
def test_a_viewer_sees_the_call_out_but_no_stop_nor_ring_again(viewer: User) -> None:
    incident = callout_incident(3)
    page = client_for(viewer).get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    assert b'id="callout-bar"' in page.content
    assert b"Stop call-out" not in page.content and b"Ring again" not in page.content


@pytest.mark.django_db
def test_a_bridge_incident_has_no_call_out_part(operator: User) -> None:
    call = CallFactory.create()
    page = client_for(operator).get(f"/incidents/{call.incident_id}/")
    assert b'id="callout-bar"' not in page.content and b'id="counts"' in page.content
    snapshot = snapshot_of(page.content)
    assert snapshot["callout"] is None and snapshot["recipients"] is None
    assert [c["id"] for c in snapshot["calls"]] == [call.pk]


@pytest.mark.django_db
def test_the_table_pages_and_filters_by_status(viewer: User) -> None:
    incident = callout_incident(130)
    recipients = list(incident.callout.recipients.order_by("position"))
    declined = recipients[10:70]  # 60 people: two pages of them
    Recipient.objects.filter(pk__in=[r.pk for r in declined]).update(
        status=RecipientStatus.DECLINED
    )
    client = client_for(viewer)
    url = f"/incidents/{incident.pk}/"

    third = snapshot_of(client.get(url, {"page": 3}).content)["recipients"]
    assert (third["page"], third["first"], third["last"]) == (3, 101, 130)
    assert [r["position"] for r in third["rows"]] == list(range(101, 131))

    filtered = snapshot_of(client.get(url, {"status": "declined", "page": "2"}).content)
    rows = filtered["recipients"]
    assert (rows["status"], rows["page"], rows["num_pages"], rows["count"]) == (
        "declined",
        2,
        2,
        60,
    )
    assert [r["position"] for r in rows["rows"]] == list(range(61, 71))
    assert {r["status"] for r in rows["rows"]} == {"declined"}
    # The counts are the whole call-out's, whatever the filter.
    assert filtered["callout"]["counts"]["declined"] == 60
    assert filtered["callout"]["total"] == 130


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "page", "said"),
    [
        ({"page": "999"}, 3, ""),  # past the end: the last page, the script says so
        ({"page": "0"}, 1, "Ensure this value is greater than or equal to 1."),
        ({"page": "-4"}, 1, "Ensure this value is greater than or equal to 1."),
        ({"page": "two"}, 1, "Page numbers are whole numbers."),
        ({"page": "9" * 40}, 3, ""),
        ({"status": "asleep"}, 1, "This filter is not applied."),
        ({"status": "declined", "page": "5"}, 1, ""),  # nobody declined: one empty page
    ],
)
def test_bad_page_numbers_and_filters_give_a_page_not_an_error(
    viewer: User, query: dict[str, str], page: int, said: str
) -> None:
    incident = callout_incident(110)
    response = client_for(viewer).get(f"/incidents/{incident.pk}/", query)
    assert response.status_code == 200
    recipients = snapshot_of(response.content)["recipients"]
    assert recipients["page"] == page
    assert said in response.content.decode()


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_recipients(operator: User) -> None:
    def count_queries(people: int) -> int:
        incident = callout_incident(people, title=f"{people} people")
        recipients = list(incident.callout.recipients.order_by("position"))
        # Every person tried once, a few of them twice: the page lists every attempt.
        attempt_each(recipients, ended_at=timezone.now(), outcome=Outcome.NO_ANSWER)
        attempt_each(recipients[:5], number=2, ended_at=timezone.now(), outcome=Outcome.BUSY)
        Recipient.objects.filter(callout=incident.callout).update(
            status=RecipientStatus.NOT_REACHED, attempts_made=1
        )
        client = client_for(operator)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/incidents/{incident.pk}/")
        assert page.status_code == 200
        rows = snapshot_of(page.content)["recipients"]["rows"]
        assert len(rows) == min(people, RECIPIENTS_PER_PAGE)
        assert [len(r["attempts"]) for r in rows[4:6]] == [2, 1]
        return len(queries)

    small, large = count_queries(10), count_queries(1_000)
    assert small == large
    # Session and permissions 4, the incident 2, calls, people and timeline 3, the call-out's
    # counts and estimate 4, a page of rows 3, the controls' choices 5, the escalation 1.
    assert large <= 22


# --- Stop and ring again --------------------------------------------------------------------


@pytest.mark.django_db
def test_stop_asks_the_service_and_says_so(operator: User) -> None:
    incident = callout_incident(4)
    Recipient.objects.filter(position=1).update(status=RecipientStatus.NOT_REACHED)
    client = client_for(operator)
    assert incident_snapshot(incident.pk)["recipients"]["rows"][0]["can_ring_again"] is True
    answer = client.post(
        f"/incidents/{incident.pk}/callout/stop/", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200
    assert answer.json() == {"message": "Call-out stopped."}
    callout = Callout.objects.get(incident=incident)
    assert (callout.state, callout.stop_reason) == (CalloutState.STOPPED, StopReason.OPERATOR)
    snapshot = incident_snapshot(incident.pk)
    assert snapshot["callout"]["can_stop"] is False
    assert snapshot["callout"]["stop_reason"] == "operator"
    assert not any(row["can_ring_again"] for row in snapshot["recipients"]["rows"])
    # Stopped already: refused in the API's shape and status.
    again = client.post(
        f"/incidents/{incident.pk}/callout/stop/", headers={"Accept": "application/json"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "callout_not_running"


@pytest.mark.django_db
def test_stop_without_a_call_out_or_by_a_viewer_changes_nothing(
    operator: User, viewer: User
) -> None:
    bridge = CallFactory.create().incident
    no_callout = client_for(operator).post(
        f"/incidents/{bridge.pk}/callout/stop/", headers={"Accept": "application/json"}
    )
    assert no_callout.status_code == 404 and no_callout.json()["code"] == "no_callout"
    assert client_for(operator).post("/incidents/999/callout/stop/").status_code == 404
    incident = callout_incident(2)
    assert client_for(viewer).post(f"/incidents/{incident.pk}/callout/stop/").status_code == 403
    assert client_for(operator).get(f"/incidents/{incident.pk}/callout/stop/").status_code == 405
    assert Callout.objects.get(incident=incident).state == CalloutState.RUNNING


@pytest.mark.django_db
def test_ring_again_asks_the_service_for_that_person(operator: User, viewer: User) -> None:
    incident = callout_incident(3)
    ada = incident.callout.recipients.get(position=1)
    Recipient.objects.filter(pk=ada.pk).update(status=RecipientStatus.NOT_REACHED)
    url = f"/incidents/{incident.pk}/recipients/{ada.pk}/ring-again/"
    assert client_for(viewer).post(url).status_code == 403
    answer = client_for(operator).post(url, headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"message": f"Ringing {ada.identifier} again."}
    ada.refresh_from_db()
    assert ada.status == RecipientStatus.PENDING
    # Without the script: back to the page, with the message.
    assert client_for(operator).post(url).status_code == 302


@pytest.mark.django_db
def test_a_recipient_is_reached_only_through_its_own_incident(operator: User) -> None:
    incident, other = callout_incident(2), callout_incident(2, title="Other")
    theirs = other.callout.recipients.first()
    assert theirs is not None
    client = client_for(operator)
    for recipient_id in (theirs.pk, 99999):
        url = f"/incidents/{incident.pk}/recipients/{recipient_id}/ring-again/"
        assert client.post(url).status_code == 404


# --- The snapshot ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_snapshot_leaves_out_attempt_calls_but_keeps_the_bridge() -> None:
    incident = callout_incident(2)
    attempt = attempt_each(list(incident.callout.recipients.all()))[0]
    ParticipantFactory.create(call=attempt.call, identifier="+14250000000")
    bridge = CallFactory.create(incident=incident, mode=CallMode.BRIDGE)
    ParticipantFactory.create(call=bridge, state=ParticipantState.JOINED)
    snapshot = incident_snapshot(incident.pk)
    assert [c["id"] for c in snapshot["calls"]] == [bridge.pk]
    assert [p["call_id"] for p in snapshot["participants"]] == [bridge.pk]
    assert Participant.objects.filter(call__incident=incident).count() == 2


@pytest.mark.django_db
def test_the_estimate_is_absent_once_the_call_out_is_over() -> None:
    incident = callout_incident(2)
    Callout.objects.filter(pk=incident.callout.pk).update(
        state=CalloutState.FINISHED, finished_at=timezone.now() + timedelta(seconds=1)
    )
    snapshot = incident_snapshot(incident.pk)
    assert snapshot["callout"]["estimated_completion"] is None
    assert snapshot["callout"]["can_stop"] is False
