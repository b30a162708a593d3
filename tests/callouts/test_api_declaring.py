"""Declaring through the API in broadcast mode: the call-out stored with its policy (a
preset or inline rules) and quorum, the recipients in order, and every bad input refused
with its reason and nothing stored."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django_tasks_db.models import DBTaskResult

from callouts.models import Callout, CalloutPolicy, Recipient, RecipientStatus
from callouts.policy import INLINE_FIELDS, NOT_FOR_A_BRIDGE
from callouts.serializers import POLICY_SCHEMA
from contacts.models import Contact
from incidents.models import Incident
from tests.callouts.declared import numbers
from tests.conftest import token_client
from tests.factories import ContactGroupFactory

URL = "/api/incidents/"


def _declare(user: User, **body: Any) -> Any:
    body = {"title": "Power outage", "mode": "broadcast", **body}
    return token_client(user).post(URL, body, format="json")


def _stored_nothing() -> None:
    assert not Incident.objects.exists()
    assert not Callout.objects.exists() and not Recipient.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_broadcast_declare_stores_the_callout_by_the_default_preset(operator: User) -> None:
    preset = CalloutPolicy.objects.create(
        name="Standard", max_attempts=3, retry_wait_seconds=300, is_default=True
    )
    response = _declare(operator, targets=numbers(3))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["calls"] == []  # dialling is background work
    assert body["callout"]["total"] == body["callout"]["pending"] == 3
    assert body["callout"]["state"] == "running"
    callout = Callout.objects.get(incident_id=body["id"])
    assert callout.policy == preset and callout.max_attempts == 3
    assert list(callout.recipients.values_list("position", "identifier")) == [
        (1, "+14255550000"),
        (2, "+14255550001"),
        (3, "+14255550002"),
    ]
    assert DBTaskResult.objects.count() == 1  # its pacing is enqueued


@pytest.mark.django_db
def test_a_preset_is_chosen_by_id_and_its_rules_copied(operator: User) -> None:
    urgent = CalloutPolicy.objects.create(
        name="Urgent",
        max_attempts=5,
        retry_wait_seconds=60,
        retry_outcomes=["no_answer"],
        answer_window_seconds=45,
    )
    response = _declare(operator, targets=numbers(2), policy=urgent.pk, quorum=2)
    assert response.status_code == 201, response.json()
    callout = Callout.objects.get()
    assert callout.policy == urgent and callout.quorum == 2
    assert (callout.max_attempts, callout.retry_wait_seconds) == (5, 60)
    assert callout.retry_outcomes == ["no_answer"]
    assert callout.answer_window_seconds == 45


@pytest.mark.django_db
def test_rules_given_inline_fill_in_the_built_in_ones(operator: User) -> None:
    policy = {"max_attempts": 1, "answer_window_seconds": 30}
    response = _declare(operator, targets=numbers(2), policy=policy)
    assert response.status_code == 201, response.json()
    callout = Callout.objects.get()
    assert callout.policy is None
    assert (callout.max_attempts, callout.retry_wait_seconds) == (1, 300)
    assert callout.answer_window_seconds == 30
    assert "no_answer" in callout.retry_outcomes


@pytest.mark.django_db
def test_groups_and_typed_in_numbers_are_called_once_each_in_order(operator: User) -> None:
    ada = Contact.objects.create(name="Ada", phone_number="+14255550101")
    group = ContactGroupFactory.create()
    group.members.add(ada, Contact.objects.create(name="Bob", phone_number="+14255550102"))
    response = _declare(operator, groups=[group.pk], targets=["+1 425 555 0101", "+14255550199"])
    assert response.status_code == 201, response.json()
    rows = Recipient.objects.order_by("position").values_list("identifier", "name", "contact")
    assert list(rows) == [
        ("+14255550101", "Ada", ada.pk),
        ("+14255550102", "Bob", group.members.get(name="Bob").pk),
        ("+14255550199", "", None),
    ]


@pytest.mark.django_db
def test_ten_thousand_recipients_take_a_constant_number_of_queries(
    operator: User, django_assert_max_num_queries: Any
) -> None:
    # The time is measured in the README (API); here the shape that keeps it short: no query
    # or statement per recipient (an INSERT per row would make 10,000 of them).
    with django_assert_max_num_queries(40):
        response = _declare(operator, targets=numbers(10_000))
    assert response.status_code == 201
    assert response.json()["callout"]["total"] == 10_000
    assert Recipient.objects.filter(status=RecipientStatus.PENDING).count() == 10_000


@pytest.mark.django_db
def test_a_repeated_idempotency_key_stores_the_callout_once(operator: User) -> None:
    client = token_client(operator)
    body = {"title": "Fire", "mode": "broadcast", "targets": numbers(2)}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Recipient.objects.count() == 2


BAD_INPUTS = [
    ({"policy": 999_999}, "unknown_policy", "no call-out policy with id 999999"),
    ({"policy": {"max_attempts": 0}}, "invalid_policy", "max_attempts must be"),
    ({"policy": {"max_attempts": 11}}, "invalid_policy", "from 1 to 10"),
    ({"policy": {"retry_wait_seconds": -1}}, "invalid_policy", "retry_wait_seconds must be"),
    ({"policy": {"answer_window_seconds": 5}}, "invalid_policy", "from 10 to 3600"),
    ({"policy": {"answer_window_seconds": 3601}}, "invalid_policy", "answer_window_seconds"),
    ({"policy": {"answer_window_seconds": "60"}}, "invalid_policy", "answer_window_seconds"),
    ({"policy": {"retry_outcomes": ["acknowledged"]}}, "invalid_policy", "cannot be retried"),
    ({"policy": {"retry_outcomes": "busy"}}, "invalid_policy", "must be a list"),
    ({"policy": {"tries": 3}}, "invalid_policy", "Unknown policy field tries"),
    ({"policy": "1"}, "invalid_policy", "preset's id or as an object"),
    ({"policy": True}, "invalid_policy", "preset's id or as an object"),
    ({"policy": [1]}, "invalid_policy", "preset's id or as an object"),
    ({"quorum": 0}, "invalid_policy", "quorum must be a whole number of at least 1"),
    ({"quorum": -2}, "invalid_policy", "quorum must be"),
    ({"quorum": 4}, "invalid_policy", "quorum 4 can never be reached: the call-out has 3"),
    ({"quorum": "many"}, "invalid", "The request is not valid."),
    ({"mode": "bridge", "policy": 1}, "invalid_policy", NOT_FOR_A_BRIDGE),
    ({"mode": "bridge", "policy": {"max_attempts": 2}}, "invalid_policy", NOT_FOR_A_BRIDGE),
    ({"mode": "bridge", "quorum": 1}, "invalid_policy", NOT_FOR_A_BRIDGE),
    ({"targets": []}, "nothing_to_call", "Choose at least one"),
    ({"targets": ["+1425555010"]}, "invalid", "The request is not valid."),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "code", "says"), BAD_INPUTS, ids=repr)
def test_bad_input_is_refused_with_its_reason_and_stores_nothing(
    operator: User, change: dict[str, Any], code: str, says: str
) -> None:
    response = _declare(operator, **{"targets": numbers(3), **change})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and says in body["message"], body
    _stored_nothing()


@pytest.mark.django_db
def test_too_many_recipients_says_how_to_raise_the_limit(operator: User, settings: Any) -> None:
    settings.CALLOUT_MAX_RECIPIENTS = 2
    response = _declare(operator, targets=numbers(3))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_many_recipients"
    assert "at most 2 recipients (3 given)" in body["message"]
    assert "raise CALLOUT_MAX_RECIPIENTS" in body["message"]
    _stored_nothing()


@pytest.mark.django_db
def test_the_limit_counts_group_members_too(operator: User, settings: Any) -> None:
    settings.CALLOUT_MAX_RECIPIENTS = 2
    group = ContactGroupFactory.create()
    group.members.add(*(Contact.objects.create(name=n, phone_number=n) for n in numbers(2)))
    response = _declare(operator, groups=[group.pk], targets=["+14255550199"])
    assert response.status_code == 400 and response.json()["code"] == "too_many_recipients"
    _stored_nothing()


@pytest.mark.django_db
def test_a_bridge_takes_at_most_100_numbers_and_says_to_use_broadcast(operator: User) -> None:
    response = _declare(operator, mode="bridge", targets=numbers(101))
    assert response.status_code == 400
    assert "declare in broadcast mode" in response.json()["errors"]["targets"][0]
    _stored_nothing()


@pytest.mark.django_db
def test_a_bad_number_is_named_by_its_position(operator: User) -> None:
    response = _declare(operator, targets=["+14255550101", "not a number"])
    assert list(response.json()["errors"]["targets"]) == ["1"]


def test_the_schema_of_an_inline_policy_names_the_fields_the_rules_take() -> None:
    inline = POLICY_SCHEMA["oneOf"][1]  # type: ignore[index]
    assert set(inline["properties"]) == set(INLINE_FIELDS)
