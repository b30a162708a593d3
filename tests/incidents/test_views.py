import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calls.models import Participant
from incidents.models import IncidentStatus
from tests.factories import (
    CallFactory,
    ContactFactory,
    ContactGroupFactory,
    IncidentFactory,
    ParticipantFactory,
)
from tests.provider_fake import FakeProvider


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_viewer_sees_the_incident_but_no_controls_and_cannot_act(viewer: User) -> None:
    call = CallFactory.create()
    client = client_for(viewer)
    page = client.get(f"/incidents/{call.incident_id}/")
    assert page.status_code == 200
    assert b"Hang up" not in page.content and b"Resolve incident" not in page.content
    participant = ParticipantFactory.create(call=call)
    actions = ["resolve/", "cancel/"] + [
        f"calls/{call.pk}/{action}/"
        for action in (
            "invite",
            f"participants/{participant.pk}/remove",
            "play",
            "stop-audio",
            "hang-up",
            "retry",
        )
    ]
    for action in actions:
        assert client.post(f"/incidents/{call.incident_id}/{action}").status_code == 403
    assert client.get("/incidents/declare/").status_code == 403


@pytest.mark.django_db
def test_operator_sees_the_controls(operator: User) -> None:
    call = CallFactory.create()
    page = client_for(operator).get(f"/incidents/{call.incident_id}/")
    assert b"Hang up" in page.content and b"Resolve incident" in page.content


@pytest.mark.django_db
def test_declare_form_reports_bad_numbers_and_missing_targets(
    operator: User, provider: FakeProvider
) -> None:
    client = client_for(operator)
    response = client.post(
        "/incidents/declare/",
        {"title": "X", "severity": "major", "mode": "bridge", "numbers": "555"},
    )
    assert response.status_code == 200
    assert b"555: Enter a phone number in international format" in response.content
    response = client.post(
        "/incidents/declare/", {"title": "X", "severity": "major", "mode": "bridge"}
    )
    assert b"Choose at least one active contact, group or number" in response.content
    assert provider.operations() == []


@pytest.mark.django_db
def test_declare_form_places_the_call_and_shows_the_incident(
    operator: User, provider: FakeProvider
) -> None:
    contact = ContactFactory.create()
    response = client_for(operator).post(
        "/incidents/declare/",
        {
            "title": "Fire in hall B",
            "severity": "critical",
            "mode": "bridge",
            "contacts": [contact.pk],
        },
    )
    assert response.status_code == 302
    assert provider.operations() == ["create_call"]


@pytest.mark.django_db
def test_action_failure_comes_back_as_a_clear_json_message(operator: User) -> None:
    call = CallFactory.create(provider_call_id="")
    response = client_for(operator).post(
        f"/incidents/{call.incident_id}/calls/{call.pk}/hang-up/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200  # a call never placed just ends
    response = client_for(operator).post(
        f"/incidents/{call.incident_id}/calls/{call.pk}/play/",
        {"prompt": ""},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400  # a form error, as the API answers it
    assert response.json()["code"] == "invalid" and response.json()["message"]


@pytest.mark.django_db
def test_incident_list_filters_by_status(viewer: User) -> None:
    IncidentFactory.create(title="Open one")
    IncidentFactory.create(
        title="Done one", status=IncidentStatus.CANCELLED, closed_at="2026-01-01T00:00Z"
    )
    page = client_for(viewer).get("/", {"status": "cancelled"})
    assert b"Done one" in page.content and b"Open one" not in page.content


@pytest.mark.django_db
def test_incident_page_queries_do_not_grow_with_participants(viewer: User) -> None:
    def count_queries(participants: int) -> int:
        call = CallFactory.create()
        contacts = ContactFactory.create_batch(participants)
        Participant.objects.bulk_create(
            Participant(call=call, contact=c, identifier=c.phone_number) for c in contacts
        )
        client = client_for(viewer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/incidents/{call.incident_id}/").status_code == 200
        return len(queries)

    small, large = count_queries(2), count_queries(500)
    assert small == large
    assert large <= 15


@pytest.mark.django_db
def test_incident_page_queries_do_not_grow_with_calls(operator: User) -> None:
    """A broadcast incident has a call per person, each with its own controls."""
    ContactGroupFactory.create_batch(3)
    ContactFactory.create_batch(3)

    def count_queries(calls: int) -> int:
        incident = IncidentFactory.create()
        CallFactory.create_batch(calls, incident=incident)
        client = client_for(operator)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        return len(queries)

    assert count_queries(1) == count_queries(20)


@pytest.mark.django_db
def test_a_call_is_reached_only_through_its_own_incident(operator: User) -> None:
    call, other_incident = CallFactory.create(), IncidentFactory.create()
    client = client_for(operator)
    url = f"/incidents/{other_incident.pk}/calls/{call.pk}/hang-up/"
    assert client.post(url).status_code == 404
    assert client.post(f"/incidents/{call.incident_id}/calls/999/hang-up/").status_code == 404
