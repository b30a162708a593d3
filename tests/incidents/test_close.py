"""Resolving or cancelling hangs up every call, even when the provider fails some hang-ups."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client

from callouts.models import CallerNumber
from calls.client import CallAutomationClient
from calls.models import Call, CallMode, CallState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from calls.targets import resolve_targets
from incidents.models import Incident, TimelineKind
from incidents.services import declare_incident
from tests.callouts.conftest import run_tasks
from tests.conftest import token_client
from tests.factories import ContactFactory
from tests.provider_fake import FakeProvider, call_id_of

CLOSE = ["resolve", "cancel"]
CLOSED_STATUS = {"resolve": "resolved", "cancel": "cancelled"}


class HangUps:
    """The provider's hang-up endpoint: records each hang-up, refuses those of `failing` legs."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.failing: set[str] = set()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        leg = call_id_of(request)
        return httpx.Response(503 if leg in self.failing else 202)


@pytest.fixture
def hang_ups(provider: FakeProvider, settings: Any) -> Iterator[HangUps]:
    """Calls are placed by `provider`; from then on hang-ups go here."""
    settings.CALLOUT_STARTS_PER_SECOND = 1_000_000  # every call-out call may start at once
    fake = HangUps()
    yield fake
    install_client(None)


def _three_calls_with_the_middle_hang_up_failing(
    operator: User, hang_ups: HangUps
) -> tuple[Incident, list[Call]]:
    """A call-out to Ann, Bob and Cy, their calls placed, with the provider refusing to hang up
    Bob's call."""
    CallerNumber.objects.create(number="+14255550001", max_simultaneous_calls=3)
    people = [ContactFactory.create(name=name) for name in ("Ann", "Bob", "Cy")]
    incident = declare_incident(
        title="Fire",
        targets=resolve_targets(contacts=people),
        mode=CallMode.BROADCAST,
        declared_by=operator,
    )
    run_tasks()  # the worker places their calls
    calls = list(incident.calls.order_by("id"))
    assert [c.state for c in calls] == [CallState.ESTABLISHING] * 3
    hang_ups.failing = {calls[1].provider_call_id}
    install_client(
        CallAutomationClient(
            "endpoint=https://acs.test/;accesskey=cHc=",
            transport=httpx.MockTransport(hang_ups.handle),
            retry=NO_RETRY,
        )
    )
    return incident, calls


@pytest.mark.django_db
@pytest.mark.parametrize("action", CLOSE)
def test_api_close_tries_every_call_and_names_the_ones_still_running(
    operator: User, hang_ups: HangUps, action: str
) -> None:
    incident, calls = _three_calls_with_the_middle_hang_up_failing(operator, hang_ups)
    response = token_client(operator).post(f"/api/incidents/{incident.pk}/{action}/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == CLOSED_STATUS[action]
    assert [f["call"] for f in body["not_hung_up"]] == [calls[1].pk]
    assert "Bob" in body["not_hung_up"][0]["message"]
    assert len(hang_ups.requests) == 3  # every call was tried, not just up to the failure
    states = dict(Call.objects.values_list("pk", "state"))
    assert states[calls[0].pk] == states[calls[2].pk] == CallState.TERMINATING
    assert states[calls[1].pk] == CallState.ESTABLISHING  # still live: Hang up can retry it
    errors = incident.timeline.filter(kind=TimelineKind.ERROR).values_list("text", flat=True)
    assert [text for text in errors if "Bob" in text]


@pytest.mark.django_db
def test_api_close_answers_an_empty_list_when_every_call_hung_up(
    operator: User, provider: FakeProvider
) -> None:
    incident = declare_incident(
        title="Fire", targets=resolve_targets(numbers=["+14255550101"]), declared_by=operator
    )
    response = token_client(operator).post(f"/api/incidents/{incident.pk}/resolve/")
    assert response.status_code == 200 and response.json()["not_hung_up"] == []


@pytest.mark.django_db
def test_a_call_left_running_can_be_hung_up_again(operator: User, hang_ups: HangUps) -> None:
    incident, calls = _three_calls_with_the_middle_hang_up_failing(operator, hang_ups)
    client = token_client(operator)
    client.post(f"/api/incidents/{incident.pk}/resolve/")
    hang_ups.failing.clear()
    again = client.post(f"/api/calls/{calls[1].pk}/hangup/")
    assert again.status_code == 200 and again.json()["state"] == CallState.TERMINATING


@pytest.mark.django_db
@pytest.mark.parametrize("action", CLOSE)
def test_dashboard_close_shows_an_error_naming_the_calls_still_running(
    operator: User, operator_client: Client, hang_ups: HangUps, action: str
) -> None:
    incident, _ = _three_calls_with_the_middle_hang_up_failing(operator, hang_ups)
    response: Any = operator_client.post(f"/incidents/{incident.pk}/{action}/")
    assert response.status_code == 302
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "error"
    assert "Bob" in message.message and "Ann" not in message.message
    incident.refresh_from_db()
    assert incident.status == CLOSED_STATUS[action]
    assert len(hang_ups.requests) == 3


@pytest.mark.django_db
def test_dashboard_close_in_json_names_the_calls_still_running(
    operator: User, operator_client: Client, hang_ups: HangUps
) -> None:
    incident, calls = _three_calls_with_the_middle_hang_up_failing(operator, hang_ups)
    response = operator_client.post(
        f"/incidents/{incident.pk}/resolve/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert "Bob" in body["message"]
    assert [f["call"] for f in body["not_hung_up"]] == [calls[1].pk]
