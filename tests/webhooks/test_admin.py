"""The admin site: subscriptions made with their secret shown once, rotated; deliveries shown
with their attempts, and failed ones sent again."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.callouts.conftest import run_tasks
from tests.factories import SubscriptionFactory
from tests.webhooks.conftest import Receiver, sole_delivery
from webhooks.models import DeliveryStatus, EventType, Subscription
from webhooks.services.emitting import emit

pytestmark = pytest.mark.django_db
ADD = "/admin/webhooks/subscription/add/"
SECRET = re.compile(r'<code class="webhook-secret">(whsec_[^<]+)</code>')


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_adding_a_subscription_shows_its_secret_once(admin_client: Client) -> None:
    form = {"url": "https://hooks.example.com/in", "events": ["incident.declared"]}
    answer = admin_client.post(ADD, {**form, "is_active": "on"})
    assert answer.status_code == 200
    (shown,) = SECRET.findall(answer.content.decode())
    subscription = Subscription.objects.get()
    assert shown == subscription.secret
    assert subscription.events == ["incident.declared"] and subscription.is_active
    change = admin_client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/")
    assert change.status_code == 200 and shown not in change.content.decode()
    assert shown not in admin_client.get("/admin/webhooks/subscription/").content.decode()


def test_the_form_refuses_plain_http_saying_why(admin_client: Client) -> None:
    answer = admin_client.post(
        ADD, {"url": "http://hooks.example.com/", "events": ["incident.declared"]}
    )
    assert answer.status_code == 200
    assert "must use https://" in answer.content.decode()
    assert not Subscription.objects.exists()


def test_rotating_shows_a_new_secret(admin_client: Client) -> None:
    subscription = SubscriptionFactory.create()
    old = subscription.secret
    answer = admin_client.post(
        "/admin/webhooks/subscription/",
        {"action": "rotate_secrets", "_selected_action": [subscription.pk]},
    )
    (shown,) = SECRET.findall(answer.content.decode())
    subscription.refresh_from_db()
    assert shown == subscription.secret != old


def test_a_delivery_shows_its_attempts_and_a_failed_one_can_be_sent_again(
    admin_client: Client, receiver: Receiver
) -> None:
    SubscriptionFactory.create(events=list(EventType.values))
    receiver.script = [410]  # given up at once
    emit(EventType.INCIDENT_DECLARED, {})
    run_tasks()
    delivery = sole_delivery()
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "410" in page and delivery.webhook_id in page
    listed = admin_client.get("/admin/webhooks/delivery/", {"status": "failed"})
    assert delivery.webhook_id in listed.content.decode()
    Subscription.objects.update(is_active=True)
    admin_client.post(
        "/admin/webhooks/delivery/",
        {"action": "send_failed_again", "_selected_action": [delivery.pk]},
    )
    assert sole_delivery().status == DeliveryStatus.PENDING
    run_tasks()
    assert sole_delivery().status == DeliveryStatus.DELIVERED
