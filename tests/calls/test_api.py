import httpx
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from calls.models import AudioPrompt, Call, CallState, MediaState, ParticipantState
from incidents.models import IncidentStatus
from tests.conftest import token_client
from tests.factories import (
    DEFAULT_PROMPT_WAV,
    AudioPromptFactory,
    CallFactory,
    ContactFactory,
    ContactGroupFactory,
    ParticipantFactory,
)
from tests.provider_fake import FakeProvider, operation


def _live_call() -> Call:
    call: Call = CallFactory.create(
        incident__status=IncidentStatus.ACTIVE, state=CallState.ESTABLISHED
    )
    return call


@pytest.mark.django_db
def test_retrieve_shows_the_participants(viewer: User) -> None:
    call = _live_call()
    joined = ParticipantFactory.create(
        call=call, state=ParticipantState.JOINED, joined_at=timezone.now()
    )
    body = token_client(viewer).get(f"/api/calls/{call.pk}/").json()
    assert body["incident"] == call.incident_id
    assert [(p["id"], p["state"]) for p in body["participants"]] == [(joined.pk, "joined")]


@pytest.mark.django_db
def test_invite_rings_contacts_groups_and_numbers_skipping_people_on_the_call(
    operator: User, provider: FakeProvider
) -> None:
    call = _live_call()
    ParticipantFactory.create(
        call=call,
        identifier="+14255550101",
        state=ParticipantState.JOINED,
        joined_at=timezone.now(),
    )
    contact = ContactFactory.create(phone_number="+14255550102")
    group = ContactGroupFactory.create()
    group.members.add(ContactFactory.create(phone_number="+14255550103"))
    response = token_client(operator).post(
        f"/api/calls/{call.pk}/participants/",
        {"contacts": [contact.pk], "groups": [group.pk], "targets": ["+14255550101"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    states = {p["identifier"]: p["state"] for p in response.json()["participants"]}
    assert set(states) == {"+14255550101", "+14255550102", "+14255550103"}
    assert states["+14255550101"] == "joined"  # already on the call: not rung again
    assert sorted(provider.invited()) == ["+14255550102", "+14255550103"]
    assert set(provider.calls_asked("add_participant")) == {call.provider_call_id}
    # One request per person, each with its own repeatability id (calls.services.inviting).
    adds = [r for r in provider.requests if operation(r) == "add_participant"]
    assert len({r.headers["Repeatability-Request-ID"] for r in adds}) == len(adds) == 2


@pytest.mark.django_db
def test_invite_to_a_call_that_is_over_is_a_conflict(
    operator: User, provider: FakeProvider
) -> None:
    call = CallFactory.create(state=CallState.TERMINATED)
    response = token_client(operator).post(
        f"/api/calls/{call.pk}/participants/", {"targets": ["+14255550101"]}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "call_not_live"
    assert provider.requests == []


@pytest.mark.django_db
def test_remove_drops_a_joined_participant(operator: User, provider: FakeProvider) -> None:
    call = _live_call()
    participant = ParticipantFactory.create(
        call=call,
        state=ParticipantState.JOINED,
        joined_at=timezone.now(),
        provider_participant_id="4:+14255550101",
    )
    response = token_client(operator).delete(f"/api/calls/{call.pk}/participants/{participant.pk}/")
    assert response.status_code == 200
    assert response.json()["state"] == "removed"
    assert provider.operations() == ["remove_participant"]
    assert provider.calls_asked("remove_participant") == [call.provider_call_id]


@pytest.mark.django_db
def test_remove_someone_from_another_call_is_not_found(operator: User) -> None:
    call, other = _live_call(), _live_call()
    stranger = ParticipantFactory.create(
        call=other, state=ParticipantState.JOINED, joined_at=timezone.now()
    )
    response = token_client(operator).delete(f"/api/calls/{call.pk}/participants/{stranger.pk}/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_play_and_cancel_media(operator: User, provider: FakeProvider) -> None:
    call = _live_call()
    prompt = AudioPromptFactory.create()
    client = token_client(operator)
    played = client.post(
        f"/api/calls/{call.pk}/play/", {"prompt": prompt.pk, "loop": False}, format="json"
    )
    assert played.status_code == 200 and played.json()["media_state"] == MediaState.PLAYING
    assert [played.loop for played in provider.played()] == [False]
    stopped = client.post(f"/api/calls/{call.pk}/cancel-media/")
    assert stopped.status_code == 200 and stopped.json()["media_state"] == MediaState.IDLE
    assert provider.operations() == ["play", "cancel_media"]


@pytest.mark.django_db
def test_play_without_naming_a_prompt_plays_the_default(
    operator: User, provider: FakeProvider
) -> None:
    call = _live_call()
    client = token_client(operator)
    refused = client.post(f"/api/calls/{call.pk}/play/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "no_default_prompt"
    default = AudioPromptFactory.create(is_default=True)
    played = client.post(f"/api/calls/{call.pk}/play/", {}, format="json")
    assert played.status_code == 200, played.json()
    [sent] = provider.played()
    assert f"/calls/prompts/{default.pk}.wav" in sent.source


@pytest.mark.django_db
def test_play_needs_a_known_prompt(operator: User, provider: FakeProvider) -> None:
    response = token_client(operator).post(
        f"/api/calls/{_live_call().pk}/play/", {"prompt": 999}, format="json"
    )
    assert response.status_code == 400 and "prompt" in response.json()["errors"]


@pytest.mark.django_db
def test_hangup(operator: User, provider: FakeProvider) -> None:
    call = _live_call()
    response = token_client(operator).post(f"/api/calls/{call.pk}/hangup/")
    assert response.status_code == 200 and response.json()["state"] == "terminating"


@pytest.mark.django_db
def test_provider_failure_is_a_503(operator: User, provider: FakeProvider) -> None:
    provider.responses.append(httpx.Response(500, json={"message": "down"}))
    response = token_client(operator).post(f"/api/calls/{_live_call().pk}/hangup/")
    assert response.status_code == 503
    assert response.json()["code"] == "provider_failed"


@pytest.mark.django_db
def test_retry_only_failed_calls(operator: User, provider: FakeProvider) -> None:
    response = token_client(operator).post(f"/api/calls/{_live_call().pk}/retry/")
    assert response.status_code == 409 and response.json()["code"] == "cannot_retry"


# --- Prompts -------------------------------------------------------------------------------


def _wav(name: str = "page.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEFAULT_PROMPT_WAV.read_bytes(), content_type="audio/wav")


@pytest.mark.django_db
def test_everyone_lists_prompts(viewer: User) -> None:
    prompt = AudioPromptFactory.create()
    body = token_client(viewer).get("/api/prompts/").json()
    assert [p["name"] for p in body["results"]] == [prompt.name]


@pytest.mark.django_db
def test_admin_uploads_a_prompt_that_becomes_the_default(admin_user: User) -> None:
    old_default = AudioPromptFactory.create(is_default=True)
    response = token_client(admin_user).post(
        "/api/prompts/", {"name": "Evacuate", "audio": _wav(), "is_default": True}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_default"] is True and body["duration_ms"] > 0
    old_default.refresh_from_db()
    assert not old_default.is_default


@pytest.mark.django_db
def test_upload_refuses_audio_the_provider_cannot_play(admin_user: User) -> None:
    not_wav = SimpleUploadedFile("page.wav", b"RIFF-not-really", content_type="audio/wav")
    response = token_client(admin_user).post("/api/prompts/", {"name": "X", "audio": not_wav})
    assert response.status_code == 400
    assert response.json()["errors"]["audio"][0].startswith("Not a WAV file")
    assert not AudioPrompt.objects.exists()


@pytest.mark.django_db
def test_upload_refuses_a_taken_name(admin_user: User) -> None:
    AudioPromptFactory.create(name="Evacuate")
    response = token_client(admin_user).post("/api/prompts/", {"name": "Evacuate", "audio": _wav()})
    assert response.status_code == 400 and "name" in response.json()["errors"]
