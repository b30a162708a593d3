"""The dashboard's declare form in broadcast mode: a policy preset (the default preselected)
and an optional quorum, judged by callouts.policy, each refusal shown at its field."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from callouts.models import Callout, CalloutPolicy
from callouts.policy import NOT_FOR_A_BRIDGE
from incidents.models import Incident
from tests.callouts.declared import numbers
from tests.provider_fake import FakeProvider

DECLARE = "/incidents/declare/"


def _post(client: Client, **change: Any) -> Any:
    form = {
        "title": "Outage",
        "severity": "major",
        "mode": "broadcast",
        "numbers": "\n".join(numbers(2)),
    }
    return client.post(DECLARE, {**form, **change})


def _field_error(response: Any, field: str) -> str:
    """The message shown under `field` (the page is rendered again, nothing stored)."""
    html = response.content.decode()
    block = html.split(f'id="field-{field}"', 1)[1].split('<div class="field"', 1)[0]
    found = re.search(r'<div class="error" role="alert">(.*?)</div>', block, re.S)
    assert found, f"no error under {field}"
    return found.group(1).replace("&#x27;", "'").replace("&quot;", '"')


@pytest.fixture
def presets(db: None) -> dict[str, CalloutPolicy]:
    return {
        "standard": CalloutPolicy.objects.create(name="Standard", is_default=True),
        "urgent": CalloutPolicy.objects.create(
            name="Urgent", max_attempts=5, retry_wait_seconds=60
        ),
    }


@pytest.mark.django_db
def test_the_form_offers_the_presets_with_the_default_chosen(
    operator_client: Client, presets: dict[str, CalloutPolicy]
) -> None:
    html = operator_client.get(DECLARE).content.decode()
    assert f'<option value="{presets["standard"].pk}" selected>Standard</option>' in html
    assert f'<option value="{presets["urgent"].pk}">Urgent</option>' in html
    assert 'name="quorum"' in html


@pytest.mark.django_db
def test_a_broadcast_runs_by_the_chosen_preset_and_quorum(
    operator_client: Client, presets: dict[str, CalloutPolicy]
) -> None:
    response = _post(operator_client, policy=presets["urgent"].pk, quorum=1)
    assert response.status_code == 302
    callout = Callout.objects.get()
    assert callout.policy == presets["urgent"] and callout.max_attempts == 5
    assert callout.quorum == 1 and callout.recipients.count() == 2


@pytest.mark.django_db
def test_without_a_choice_the_default_policy_applies(
    operator_client: Client, presets: dict[str, CalloutPolicy]
) -> None:
    assert _post(operator_client, policy="").status_code == 302
    assert Callout.objects.get().policy == presets["standard"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"quorum": 3}, "quorum", "quorum 3 can never be reached: the call-out has 2 recipients"),
        ({"quorum": 0}, "quorum", "quorum must be a whole number of at least 1"),
        ({"quorum": "some"}, "quorum", "Enter a whole number."),
        ({"mode": "bridge", "quorum": 1}, "quorum", NOT_FOR_A_BRIDGE),
    ],
    ids=repr,
)
def test_a_rule_that_cannot_work_is_shown_at_its_field(
    operator_client: Client, change: dict[str, Any], field: str, says: str
) -> None:
    response = _post(operator_client, **change)
    assert response.status_code == 200
    assert says in _field_error(response, field)
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_stored_preset_that_cannot_work_is_refused_at_the_policy(operator_client: Client) -> None:
    broken = CalloutPolicy.objects.create(name="Broken", retry_outcomes=["acknowledged"])
    response = _post(operator_client, policy=broken.pk)
    assert "acknowledged cannot be retried" in _field_error(response, "policy")
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_too_many_recipients_is_shown_at_the_numbers(
    operator_client: Client, settings: Any
) -> None:
    settings.CALLOUT_MAX_RECIPIENTS = 1
    response = _post(operator_client)
    assert "raise CALLOUT_MAX_RECIPIENTS" in _field_error(response, "numbers")
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_bridge_ignores_the_preselected_policy(
    operator: User,
    operator_client: Client,
    presets: dict[str, CalloutPolicy],
    provider: FakeProvider,
) -> None:
    response = _post(operator_client, mode="bridge", policy=presets["standard"].pk)
    assert response.status_code == 302
    assert not Callout.objects.exists()
    assert provider.operations() == ["create_call"]  # one bridge call for everyone
