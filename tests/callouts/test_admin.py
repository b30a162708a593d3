"""Configuring call-outs in the admin site (as a member of the admins role, not a superuser):
caller numbers, policy presets with one default, a prompt's keypad map; and the demo data."""

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from callouts.models import CallerNumber, CalloutPolicy, Recipient
from calls.models import AudioPrompt
from contacts.models import ContactGroup
from tests.callouts.declared import declared_callout
from tests.conftest import token_client
from tests.factories import AudioPromptFactory

POLICIES = "/admin/callouts/calloutpolicy/"


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _policy_form(**change: Any) -> dict[str, Any]:
    form = {
        "name": "Night shift",
        "max_attempts": 2,
        "retry_wait_seconds": 120,
        "answer_window_seconds": 90,
        "retry_outcomes": json.dumps(["no_answer", "busy"]),
    }
    return {**form, **change}


@pytest.mark.django_db
def test_admins_see_every_callout_page(admin_client: Client) -> None:
    callout = declared_callout(1)
    recipient = callout.recipients.get()
    for path in (
        "/admin/callouts/callernumber/add/",
        f"{POLICIES}add/",
        f"/admin/callouts/callout/{callout.pk}/change/",
        f"/admin/callouts/recipient/{recipient.pk}/change/",
    ):
        assert admin_client.get(path).status_code == 200, path


@pytest.mark.django_db
def test_admins_add_caller_numbers_to_the_pool(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/callouts/callernumber/add/",
        {
            "number": "+14255550130",
            "label": "Spare",
            "max_simultaneous_calls": 2,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert CallerNumber.objects.get().max_simultaneous_calls == 2


@pytest.mark.django_db
def test_making_a_preset_the_default_takes_the_role_from_the_old_one(
    admin_client: Client,
) -> None:
    old = CalloutPolicy.objects.create(name="Standard", is_default=True)
    response = admin_client.post(f"{POLICIES}add/", _policy_form(make_default="on"))
    assert response.status_code == 302
    new = CalloutPolicy.objects.get(name="Night shift")
    assert new.is_default and new.retry_outcomes == ["no_answer", "busy"]
    old.refresh_from_db()
    assert not old.is_default
    # ... and unticking it leaves no default: call-outs then use the built-in rules.
    admin_client.post(f"{POLICIES}{new.pk}/change/", _policy_form())
    assert not CalloutPolicy.objects.filter(is_default=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"retry_outcomes": json.dumps(["acknowledged"])}, "acknowledged cannot be retried"),
        ({"retry_outcomes": json.dumps("busy")}, "retry_outcomes must be a list"),
        ({"max_attempts": 0}, "greater than or equal to 1"),
        ({"retry_wait_seconds": -5}, "greater than or equal to 0"),
        ({"answer_window_seconds": 5}, "greater than or equal to 10"),
    ],
    ids=repr,
)
def test_a_preset_that_cannot_work_is_refused_with_its_reason(
    admin_client: Client, change: dict[str, Any], says: str
) -> None:
    response = admin_client.post(f"{POLICIES}add/", _policy_form(**change))
    assert response.status_code == 200  # the form again, with the message
    assert says in response.content.decode()
    assert not CalloutPolicy.objects.exists()


def _prompt_form(keypad: object) -> dict[str, str]:
    # As a browser sends the page: the voice is preselected, the recording kept.
    return {"name": "Outage", "voice": "en-US-JennyNeural", "keypad": json.dumps(keypad)}


@pytest.mark.django_db
def test_a_keypad_map_that_cannot_work_is_refused_with_its_reason(admin_client: Client) -> None:
    prompt = AudioPromptFactory.create(name="Outage")
    path = f"/admin/calls/audioprompt/{prompt.pk}/change/"
    for keypad, says in [
        ({"1": "dance"}, "Key 1 does &#x27;dance&#x27;; choose one of"),
        ({"A": "acknowledge"}, "is not on a phone&#x27;s keypad"),
        ({"2": "decline"}, "At least one key must acknowledge"),
        (["1"], "Give the keypad as"),
    ]:
        response = admin_client.post(path, _prompt_form(keypad))
        assert response.status_code == 200, keypad
        assert says in response.content.decode(), keypad
    prompt.refresh_from_db()
    assert prompt.keypad["1"] == "acknowledge"  # unchanged
    good = {"1": "acknowledge", "0": "replay"}
    response = admin_client.post(path, _prompt_form(good))
    assert response.status_code == 302
    assert AudioPrompt.objects.get(pk=prompt.pk).keypad == good


# --- The demo data ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_has_a_pool_of_numbers_and_two_presets_once(db: None) -> None:
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())
    pool = CallerNumber.objects.filter(is_active=True)
    assert [n.max_simultaneous_calls for n in pool] == [2, 2, 2]
    presets = {
        p.name: (p.max_attempts, p.retry_wait_seconds, p.is_default)
        for p in CalloutPolicy.objects.all()
    }
    assert presets == {
        "Standard: 3 tries, 5 min apart": (3, 300, True),
        "Urgent: 5 tries, 1 min apart": (5, 60, False),
    }


@pytest.mark.django_db
def test_the_demo_groups_can_be_called_out_in_broadcast_mode(db: None) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    urgent = CalloutPolicy.objects.get(name__startswith="Urgent")
    client = token_client(User.objects.get(username="operator"))  # the demo's own
    for group in ContactGroup.objects.all():
        body = {"title": group.name, "mode": "broadcast", "groups": [group.pk]}
        response = client.post("/api/incidents/", {**body, "policy": urgent.pk}, format="json")
        assert response.status_code == 201, response.json()
        called = Recipient.objects.filter(callout__incident_id=response.json()["id"])
        assert called.count() == group.members.filter(is_active=True).count() > 0
