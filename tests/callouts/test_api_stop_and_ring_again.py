"""Stopping a call-out and ringing a recipient again through the API, and who may."""

import pytest
from django.contrib.auth.models import User

from callouts.models import CalloutState, Recipient, RecipientStatus
from tests.callouts.declared import declared_callout
from tests.conftest import token_client
from tests.factories import IncidentFactory

URL = "/api/incidents/"


@pytest.mark.django_db
def test_stop_stops_the_callout_once(operator: User) -> None:
    callout = declared_callout(2)
    client = token_client(operator)
    path = f"{URL}{callout.incident_id}/callout/stop/"

    response = client.post(path)
    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["stop_reason"]) == ("stopped", "operator")
    callout.refresh_from_db()
    assert callout.state == CalloutState.STOPPED
    again = client.post(path)
    assert again.status_code == 409 and again.json()["code"] == "callout_not_running"
    bridge = IncidentFactory.create()
    assert client.post(f"{URL}{bridge.pk}/callout/stop/").json()["code"] == "no_callout"


@pytest.mark.django_db
def test_ring_again_puts_the_recipient_back_in_line(operator: User) -> None:
    callout = declared_callout(2)
    recipient = callout.recipients.get(position=1)
    Recipient.objects.filter(pk=recipient.pk).update(status=RecipientStatus.NOT_REACHED)
    client = token_client(operator)

    response = client.post(f"{URL}{callout.incident_id}/recipients/{recipient.pk}/ring-again/")

    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["status"]) == (recipient.pk, "pending")


@pytest.mark.django_db
def test_ring_again_finds_only_the_incidents_own_recipients(operator: User) -> None:
    callout, other = declared_callout(1), declared_callout(1)
    stranger = other.recipients.get()
    client = token_client(operator)
    path = f"{URL}{callout.incident_id}/recipients/{stranger.pk}/ring-again/"
    assert client.post(path).status_code == 404
    assert client.post(f"{URL}{callout.incident_id}/recipients/999999/ring-again/").status_code == (
        404
    )


@pytest.mark.django_db
def test_ring_again_on_a_stopped_callout_is_refused(operator: User) -> None:
    callout = declared_callout(1)
    client = token_client(operator)
    client.post(f"{URL}{callout.incident_id}/callout/stop/")
    recipient = callout.recipients.get()
    response = client.post(f"{URL}{callout.incident_id}/recipients/{recipient.pk}/ring-again/")
    assert response.status_code == 409 and response.json()["code"] == "cannot_ring_recipient_again"


@pytest.mark.django_db
def test_viewers_read_the_callout_but_neither_stop_nor_ring_again(viewer: User) -> None:
    callout = declared_callout(1)
    recipient = callout.recipients.get()
    client = token_client(viewer)
    base = f"{URL}{callout.incident_id}"
    assert client.get(f"{base}/callout/").status_code == 200
    assert client.get(f"{base}/recipients/").status_code == 200
    assert client.post(f"{base}/callout/stop/").status_code == 403
    assert client.post(f"{base}/recipients/{recipient.pk}/ring-again/").status_code == 403
    assert token_client(None).get(f"{base}/callout/").status_code == 401
    callout.refresh_from_db()
    assert callout.is_running
