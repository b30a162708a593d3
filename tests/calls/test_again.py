"""Ringing people again after their attempt is over: services and API actions."""

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from calls.errors import CannotRingAgain, ProviderFailed
from calls.models import Call, CallMode, CallState, Participant, ParticipantState
from calls.services import redial_call, ring_participant_again
from incidents.models import IncidentStatus
from tests.conftest import token_client
from tests.factories import CallFactory, ContactFactory, IncidentFactory, ParticipantFactory
from tests.provider_fake import FakeProvider


def ended_call(**fields: object) -> Call:
    call = CallFactory.create(
        incident=IncidentFactory.create(status=IncidentStatus.ACTIVE),
        **{"state": CallState.TERMINATED, **fields},
    )
    ParticipantFactory.create(
        call=call, identifier="+14255550101", state=ParticipantState.LEFT, contact=None
    )
    ParticipantFactory.create(
        call=call,
        identifier="+14255550102",
        state=ParticipantState.FAILED,
        contact=ContactFactory.create(name="Grace Hopper", phone_number="+14255550102"),
    )
    return call


@pytest.mark.django_db
def test_redial_rings_everyone_of_an_ended_call_on_a_new_call(
    operator: User, provider: FakeProvider
) -> None:
    call = ended_call()
    (new,) = redial_call(call=call, actor=operator)
    assert new.pk != call.pk and new.incident_id == call.incident_id
    assert new.state == CallState.ESTABLISHING
    assert provider.dialled() == [["+14255550101", "+14255550102"]]
    assert sorted(new.participants.values_list("state", flat=True)) == ["ringing", "ringing"]
    assert call.incident.timeline.filter(text="Call placed by operator: ringing 2 people.").exists()


@pytest.mark.django_db
def test_redial_stores_the_new_call_before_the_provider_is_asked(
    operator: User, provider: FakeProvider
) -> None:
    call = ended_call()
    provider.responses.append(httpx.Response(400, json={"code": "BadRequest", "message": "No."}))
    with pytest.raises(ProviderFailed, match="did not place"):
        redial_call(call=call, actor=operator)
    failed = Call.objects.exclude(pk=call.pk).get(incident_id=call.incident_id)
    assert failed.state == CallState.FAILED and failed.participants.count() == 2
    line = call.incident.timeline.get(kind="error").text
    assert line == (
        "The provider did not place the call, so +14255550101 and Grace Hopper were not "
        "reached: No."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("state", [CallState.ESTABLISHED, CallState.FAILED, CallState.PENDING])
def test_only_an_ended_call_is_redialled(
    operator: User, provider: FakeProvider, state: str
) -> None:
    with pytest.raises(CannotRingAgain):
        redial_call(call=ended_call(state=state), actor=operator)
    assert provider.requests == []


@pytest.mark.django_db
def test_nobody_is_rung_again_on_a_closed_incident(operator: User, provider: FakeProvider) -> None:
    call = ended_call()
    call.incident.status, call.incident.closed_at = IncidentStatus.RESOLVED, timezone.now()
    call.incident.save()
    with pytest.raises(CannotRingAgain, match="resolved"):
        redial_call(call=call, actor=operator)
    with pytest.raises(CannotRingAgain, match="resolved"):
        ring_participant_again(participant=call.participants.first(), actor=operator)  # type: ignore[arg-type]
    assert provider.requests == []


@pytest.mark.django_db
def test_people_already_ringing_elsewhere_are_not_rung_twice(
    operator: User, provider: FakeProvider
) -> None:
    call = ended_call()
    redial_call(call=call, actor=operator)
    with pytest.raises(CannotRingAgain, match="another call"):
        redial_call(call=call, actor=operator)
    grace = call.participants.get(identifier="+14255550102")
    with pytest.raises(CannotRingAgain, match="Grace Hopper is on another call"):
        ring_participant_again(participant=grace, actor=operator)
    assert len(provider.dialled()) == 1


@pytest.mark.django_db
def test_one_person_of_an_ended_call_rings_on_a_call_of_their_own(
    operator: User, provider: FakeProvider
) -> None:
    call = ended_call(mode=CallMode.BRIDGE)
    grace = call.participants.get(identifier="+14255550102")
    rung_on = ring_participant_again(participant=grace, actor=operator)
    assert rung_on.pk != call.pk
    assert provider.dialled() == [["+14255550102"]]
    assert list(rung_on.participants.values_list("contact__name", "state")) == [
        ("Grace Hopper", "ringing")
    ]
    assert call.incident.timeline.filter(text__endswith="ringing 1 person.").exists()


@pytest.mark.django_db
def test_one_person_of_a_running_call_is_invited_back_into_it(
    operator: User, provider: FakeProvider
) -> None:
    call = ended_call(state=CallState.ESTABLISHED)
    grace = call.participants.get(identifier="+14255550102")
    assert ring_participant_again(participant=grace, actor=operator).pk == call.pk
    assert provider.operations() == ["add_participant"]
    assert provider.calls_asked("add_participant") == [call.provider_call_id]
    grace.refresh_from_db()
    assert grace.state == ParticipantState.RINGING


@pytest.mark.django_db
@pytest.mark.parametrize("state", [ParticipantState.JOINED, ParticipantState.RINGING])
def test_someone_on_the_call_or_ringing_is_not_rung_again(
    operator: User, provider: FakeProvider, state: str
) -> None:
    call = ended_call(state=CallState.ESTABLISHED)
    person = ParticipantFactory.create(call=call, state=state)
    with pytest.raises(CannotRingAgain):
        ring_participant_again(participant=person, actor=operator)
    assert provider.requests == []


@pytest.mark.django_db
def test_api_redial_answers_the_new_calls(operator: User, provider: FakeProvider) -> None:
    call = ended_call()
    response = token_client(operator).post(f"/api/calls/{call.pk}/redial/")
    assert response.status_code == 201
    (new,) = response.json()
    assert new["id"] != call.pk and len(new["participants"]) == 2
    again = token_client(operator).post(f"/api/calls/{call.pk}/redial/")
    assert again.status_code == 409 and again.json()["code"] == "cannot_ring_again"


@pytest.mark.django_db
def test_api_ring_again_answers_the_call_they_ring_on(
    operator: User, viewer: User, provider: FakeProvider
) -> None:
    call = ended_call()
    grace = call.participants.get(identifier="+14255550102")
    url = f"/api/calls/{call.pk}/participants/{grace.pk}/ring-again/"
    assert token_client(viewer).post(url).status_code == 403
    response = token_client(operator).post(url)
    assert response.status_code == 200
    assert response.json()["id"] != call.pk
    assert token_client(operator).post(url).json()["code"] == "cannot_ring_again"
    missing = f"/api/calls/{call.pk}/participants/{Participant.objects.last().pk + 1}/ring-again/"  # type: ignore[union-attr]
    assert token_client(operator).post(missing).status_code == 404


@pytest.mark.django_db
def test_dashboard_ring_again_views(operator: User, provider: FakeProvider) -> None:
    client = Client()
    client.force_login(operator)
    call = ended_call()
    base = f"/incidents/{call.incident_id}/calls/{call.pk}"
    grace = call.participants.get(identifier="+14255550102")
    json_accept = {"HTTP_ACCEPT": "application/json"}
    answer = client.post(f"{base}/participants/{grace.pk}/ring-again/", **json_accept)  # type: ignore[arg-type]
    assert answer.status_code == 200 and answer.json()["message"] == "Ringing Grace Hopper again."
    answer = client.post(f"{base}/redial/", **json_accept)  # type: ignore[arg-type]
    assert answer.status_code == 200 and answer.json()["message"] == "Ringing everyone again."
    answer = client.post(f"{base}/redial/", **json_accept)  # type: ignore[arg-type]
    assert answer.status_code == 409 and "another call" in answer.json()["message"]
