"""A message typed when declaring, spoken in place of a recorded prompt (dashboard and API)."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from callouts.models import Callout
from calls.models import AudioPrompt, Call
from calls.speech import MAX_TEXT_LENGTH
from tests.callouts.declared import numbers
from tests.calls.test_typed_prompts import needs_speech
from tests.conftest import token_client
from tests.factories import AudioPromptFactory
from tests.provider_fake import FakeProvider

pytestmark = [pytest.mark.django_db, needs_speech]
SAID = "Gas leak on floor 3. Press 1 if you are coming."


def declare(user: User, **body: Any) -> Any:
    body = {"title": "Gas leak", "mode": "broadcast", "targets": numbers(2)} | body
    return token_client(user).post("/api/incidents/", body, format="json")


def test_a_typed_message_takes_the_place_of_the_prompt_and_is_one_prompt_however_often_typed(
    operator: User,
) -> None:
    recorded = AudioPromptFactory.create(is_default=True)
    first = declare(operator, message={"text": SAID, "voice": "en-GB-SoniaNeural"})
    assert first.status_code == 201, first.json()
    # Even with a prompt chosen, the typed message is what is said.
    again = declare(operator, prompt=recorded.pk, message={"text": f"  {SAID} "})
    assert again.status_code == 201, again.json()
    spoken = [c.prompt for c in Callout.objects.order_by("pk")]
    assert [(p.text, p.voice, p.one_off) for p in spoken if p] == [
        (SAID, "en-GB-SoniaNeural", True),
        (SAID, "en-US-JennyNeural", True),  # the voice left out: the default voice
    ]
    assert (
        declare(operator, message={"text": SAID, "voice": "en-GB-SoniaNeural"}).status_code == 201
    )
    assert AudioPrompt.objects.filter(one_off=True).count() == 2
    # Not offered where people choose prompts; listed by the API, marked.
    page = token_client(operator).get("/api/prompts/").json()["results"]
    listed = {p["text"]: p["one_off"] for p in page}
    assert listed[SAID] is True


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"text": "a" * (MAX_TEXT_LENGTH + 1)}, "text"),
        ({"text": ""}, "text"),
        ({"text": SAID, "voice": "xx-XX-Nobody"}, "voice"),
        ("just text", "non_field_errors"),
    ],
    ids=repr,
)
def test_a_message_that_cannot_be_spoken_is_refused_and_nothing_stored(
    operator: User, message: Any, field: str
) -> None:
    response = declare(operator, message=message)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]["message"]
    assert not Callout.objects.exists() and not AudioPrompt.objects.exists()


def test_the_dashboard_form_takes_a_typed_message_for_a_bridge_call(
    operator_client: Client, provider: FakeProvider
) -> None:
    AudioPromptFactory.create(is_default=True)
    form = {
        "title": "Gas leak",
        "severity": "major",
        "mode": "bridge",
        "numbers": numbers(1)[0],
        "message": SAID,
        "voice": "de-DE-KatjaNeural",
    }
    response = operator_client.post("/incidents/declare/", form)
    assert response.status_code == 302, response.content.decode()
    prompt = Call.objects.get().prompt
    assert prompt is not None and (prompt.text, prompt.voice) == (SAID, "de-DE-KatjaNeural")
    # The one-off prompt is not offered when declaring again.
    page = operator_client.get("/incidents/declare/").content.decode()
    assert "Typed:" not in page and 'name="message"' in page
