"""/api/webhooks/: admins subscribe URLs; the secret is in the create answer only; bad URLs and
events are refused with a message saying why."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.callouts.conftest import run_tasks
from tests.conftest import token_client
from tests.factories import SubscriptionFactory
from tests.webhooks.conftest import Receiver
from webhooks.models import EventType, Subscription
from webhooks.services.emitting import emit

pytestmark = pytest.mark.django_db
HOOK = {"url": "https://hooks.example.com/incidents", "events": ["incident.resolved"]}
ALL_BACKWARDS = [*reversed(EventType.values), "incident.declared"]  # one twice


def test_the_create_answer_carries_the_secret_once(admin_user: User) -> None:
    api = token_client(admin_user)
    made = api.post("/api/webhooks/", HOOK, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["secret"] == Subscription.objects.get().secret
    assert (body["url"], body["events"], body["is_active"]) == (*HOOK.values(), True)
    for answer in (
        api.get(f"/api/webhooks/{body['id']}/"),
        api.get("/api/webhooks/"),
        api.patch(f"/api/webhooks/{body['id']}/", {"is_active": False}, format="json"),
    ):
        assert answer.status_code == 200
        assert body["secret"] not in answer.content.decode()
        assert b'"secret"' not in answer.content


def test_every_subscription_has_its_own_secret(admin_user: User) -> None:
    api = token_client(admin_user)
    secrets = {api.post("/api/webhooks/", HOOK, format="json").json()["secret"] for _ in "ab"}
    assert len(secrets) == 2


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://hooks.example.com/in", "must use https://"),
        ("ftp://hooks.example.com/in", "Give an https:// URL"),
        ("hooks.example.com", "Give an https:// URL"),
        ("https://user:pw@hooks.example.com/", "no user name or password"),
    ],
)
def test_urls_that_are_not_https_are_refused(admin_user: User, url: str, says: str) -> None:
    answer = token_client(admin_user).post("/api/webhooks/", {**HOOK, "url": url}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_webhook_url"
    assert says in answer.json()["message"]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(("allowed", "status"), [(True, 201), (False, 400)])
def test_plain_http_to_this_machine_only_when_allowed(
    admin_user: User, settings: Any, allowed: bool, status: int
) -> None:
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = allowed
    for host in ("127.0.0.1:8081", "localhost", "[::1]:9000"):
        hook = {**HOOK, "url": f"http://{host}/hooks"}
        answer = token_client(admin_user).post("/api/webhooks/", hook, format="json")
        assert answer.status_code == status, answer.json()
        if not allowed:
            assert "WEBHOOK_ALLOW_LOCAL_HTTP" in answer.json()["message"]


def test_no_event_is_refused(admin_user: User) -> None:
    answer = token_client(admin_user).post("/api/webhooks/", {**HOOK, "events": []}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "code": "invalid_webhook_events",
        "message": "Choose at least one event to subscribe to.",
    }


def test_an_unknown_event_is_refused_naming_it(admin_user: User) -> None:
    hook = {**HOOK, "events": ["incident.exploded"]}
    answer = token_client(admin_user).post("/api/webhooks/", hook, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert "incident.exploded" in str(answer.json()["errors"]["events"])


def test_an_update_is_checked_too_and_keeps_the_secret(admin_user: User) -> None:
    subscription = SubscriptionFactory.create()
    api = token_client(admin_user)
    path = f"/api/webhooks/{subscription.pk}/"
    refused = api.patch(path, {"url": "http://example.com/"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_webhook_url"
    changed = api.put(
        path, {"url": " https://b.example.com/ ", "events": ALL_BACKWARDS}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["url"] == "https://b.example.com/"
    assert changed.json()["events"] == list(EventType.values)  # each once, in a stable order
    kept = Subscription.objects.get()
    assert kept.secret == subscription.secret


def test_deleting_stops_its_deliveries(admin_user: User, receiver: Receiver) -> None:
    subscription = SubscriptionFactory.create()
    emit(EventType.INCIDENT_DECLARED, {})
    answer = token_client(admin_user).delete(f"/api/webhooks/{subscription.pk}/")
    assert answer.status_code == 204
    run_tasks()
    assert receiver.requests == []


def test_deliveries_are_listed_with_their_attempts(admin_user: User, receiver: Receiver) -> None:
    subscription = SubscriptionFactory.create(events=["incident.declared", "incident.resolved"])
    other = SubscriptionFactory.create(events=["incident.declared"])
    receiver.script = [500]
    emit(EventType.INCIDENT_DECLARED, {"n": 1})
    emit(EventType.INCIDENT_RESOLVED, {"n": 2})
    run_tasks()
    api = token_client(admin_user)
    listed = api.get(f"/api/webhooks/{subscription.pk}/deliveries/").json()
    assert listed["count"] == 2
    newest, oldest = listed["results"]
    assert (newest["event_type"], newest["status"]) == ("incident.resolved", "delivered")
    assert newest["payload"]["data"] == {"n": 2}
    assert [a["status_code"] for a in oldest["attempts"]] == [500]  # the first try, at once
    assert oldest["status"] == "pending" and oldest["tries"] == 1
    only = api.get(f"/api/webhooks/{subscription.pk}/deliveries/?status=delivered").json()
    assert [d["event_type"] for d in only["results"]] == ["incident.resolved"]
    assert api.get(f"/api/webhooks/{other.pk}/deliveries/").json()["count"] == 1
    bad = api.get(f"/api/webhooks/{subscription.pk}/deliveries/?status=lost")
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_only_admins_see_webhooks(request: pytest.FixtureRequest, role: str) -> None:
    subscription = SubscriptionFactory.create()
    api = token_client(request.getfixturevalue(role))
    for path in ("/api/webhooks/", f"/api/webhooks/{subscription.pk}/deliveries/"):
        assert api.get(path).status_code == 403
    assert api.post("/api/webhooks/", HOOK, format="json").status_code == 403
