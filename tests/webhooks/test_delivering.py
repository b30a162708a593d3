"""Delivering: signed tries on the task engine, retried by the schedule, then given up; one try
at a time (a lease); a dead worker's delivery recovered."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from tests.callouts.conftest import run_tasks
from tests.factories import IncidentFactory, SubscriptionFactory
from tests.webhooks.conftest import Receiver, sole_delivery
from webhooks.errors import DeliveryNotFailed
from webhooks.models import Delivery, DeliveryStatus, EventType, Subscription
from webhooks.services.delivering import LEASE, MAX_TRIES, deliver
from webhooks.services.emitting import emit, emit_incident_declared
from webhooks.services.recovery import recover_deliveries
from webhooks.services.subscribing import send_again

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# The waits after each failed try, at WEBHOOK_RETRY_SCALE 1.
SCHEDULE = [5, 30, 120, 600, 3600, 7200, 14400]


def subscribed(**fields: Any) -> Subscription:
    subscription: Subscription = SubscriptionFactory.create(events=list(EventType.values), **fields)
    return subscription


def waiting_tasks() -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path="webhooks.tasks.deliver_webhook"
        )
    )


def test_a_delivery_is_signed_as_standard_webhooks_says(receiver: Receiver) -> None:
    subscription = subscribed()
    incident = IncidentFactory.create(title="Flood", declared_by=None)
    with time_machine.travel(START, tick=False):
        emit_incident_declared(incident=incident)
        assert run_tasks() == ["deliver_webhook"]
        (request,) = receiver.requests
        assert request.method == "POST" and str(request.url) == subscription.url
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-timestamp"] == str(int(START.timestamp()))
        delivery = sole_delivery()
        assert request.headers["webhook-id"] == delivery.webhook_id
        body = receiver.verified(subscription.secret)
    assert body["type"] == "incident.declared"
    assert body["data"]["incident"]["title"] == "Flood"
    assert (delivery.status, delivery.tries) == (DeliveryStatus.DELIVERED, 1)
    (attempt,) = delivery.attempts.all()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")


def test_another_secret_does_not_verify(receiver: Receiver) -> None:
    subscribed()
    emit(EventType.INCIDENT_DECLARED, {})
    run_tasks()
    with pytest.raises(Exception, match="No matching signature"):
        receiver.verified(SubscriptionFactory.create().secret)


def test_failures_retry_by_the_schedule_with_the_same_id_and_body_then_give_up(
    receiver: Receiver,
) -> None:
    subscription = subscribed()
    receiver.script = [500, httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
    receiver.script += [503] * (MAX_TRIES - 3)
    with time_machine.travel(START, tick=False) as clock:
        emit(EventType.INCIDENT_DECLARED, {"n": 1})
        run_tasks()
        for wait in SCHEDULE:
            delivery = sole_delivery()
            assert delivery.next_attempt_at == timezone.now() + timedelta(seconds=wait)
            (task,) = waiting_tasks()
            assert task.run_after == delivery.next_attempt_at
            clock.shift(timedelta(seconds=wait - 1))
            assert run_tasks() == []  # not before its time
            clock.shift(timedelta(seconds=1))
            assert run_tasks() == ["deliver_webhook"]
    delivery = sole_delivery()
    assert (delivery.status, delivery.tries) == (DeliveryStatus.FAILED, MAX_TRIES)
    assert delivery.failure == f"Gave up after {MAX_TRIES} tries; the last: HTTP 503."
    assert waiting_tasks() == []
    assert len(receiver.requests) == MAX_TRIES == 8
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.webhook_id}
    assert {r.content for r in receiver.requests} == {delivery.body.encode()}
    # A new timestamp, and so a new signature, on every try: each verifies at its own time.
    stamps = [int(r.headers["webhook-timestamp"]) for r in receiver.requests]
    assert stamps == sorted(set(stamps))
    for index, stamp in enumerate(stamps):
        with time_machine.travel(datetime.fromtimestamp(stamp, UTC), tick=False):
            receiver.verified(subscription.secret, index)
    attempts = list(delivery.attempts.values_list("number", "status_code", "error"))
    assert attempts[:3] == [
        (1, 500, ""),
        (2, None, "ConnectError: refused"),
        (3, None, "No answer within 10 s."),
    ]
    assert len(attempts) == MAX_TRIES


def test_the_schedule_scales(receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_RETRY_SCALE = 0.01
    subscribed()
    receiver.script = [500, 500]
    with time_machine.travel(START, tick=False) as clock:
        emit(EventType.INCIDENT_DECLARED, {})
        run_tasks()
        assert sole_delivery().next_attempt_at == START + timedelta(seconds=0.05)
        clock.shift(timedelta(seconds=0.05))
        run_tasks()
        assert sole_delivery().next_attempt_at == timezone.now() + timedelta(seconds=0.3)


def test_410_gone_gives_up_and_makes_the_subscription_inactive(receiver: Receiver) -> None:
    subscription = subscribed()
    receiver.script = [410]
    emit(EventType.INCIDENT_DECLARED, {})
    run_tasks()
    delivery = sole_delivery()
    assert delivery.status == DeliveryStatus.FAILED and "410 Gone" in delivery.failure
    subscription.refresh_from_db()
    assert not subscription.is_active and "410 Gone" in subscription.disabled_reason
    assert waiting_tasks() == []
    assert emit(EventType.INCIDENT_DECLARED, {}) == []  # no more for it


def test_a_delivery_of_a_subscription_made_inactive_is_not_sent(receiver: Receiver) -> None:
    subscription = subscribed()
    emit(EventType.INCIDENT_DECLARED, {})
    Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
    run_tasks()
    assert receiver.requests == []
    assert sole_delivery().status == DeliveryStatus.FAILED


def test_a_second_worker_leaves_a_delivery_being_sent_alone(receiver: Receiver) -> None:
    subscribed()
    (delivery,) = emit(EventType.INCIDENT_DECLARED, {})
    twin_sent: list[int] = []

    def while_sending(request: httpx.Request) -> int:
        # Another worker runs the same delivery (a twin task) while the first waits for this.
        before = len(receiver.requests)
        deliver(delivery_id=delivery.pk)
        twin_sent.append(len(receiver.requests) - before)
        return 500

    receiver.script = [while_sending]
    deliver(delivery_id=delivery.pk)
    assert twin_sent == [0]  # the lease held: the twin sent nothing
    delivery.refresh_from_db()
    assert delivery.attempts.count() == 1 and delivery.tries == 1


def test_a_delivery_not_due_is_not_sent(receiver: Receiver) -> None:
    subscribed()
    receiver.script = [500]
    (delivery,) = emit(EventType.INCIDENT_DECLARED, {})
    run_tasks()
    deliver(delivery_id=delivery.pk)  # a stray task before the retry's time
    assert len(receiver.requests) == 1


def test_a_dead_workers_delivery_is_recovered_once_its_lease_runs_out(receiver: Receiver) -> None:
    subscribed()
    with time_machine.travel(START, tick=False) as clock:
        (delivery,) = emit(EventType.INCIDENT_DECLARED, {})
        # A worker took the task and claimed the delivery, then was killed mid-POST: its task
        # stays "running" for ever, its claim stays.
        (task,) = waiting_tasks()
        task.claim("dead-worker")
        Delivery.objects.filter(pk=delivery.pk).update(claimed_at=START)
        clock.shift(LEASE - timedelta(seconds=1))
        assert recover_deliveries() == 0  # it might still be sending
        clock.shift(timedelta(seconds=2))
        assert recover_deliveries() == 1
        assert recover_deliveries() == 0  # enqueued once: a task waits for it now
        assert run_tasks() == ["deliver_webhook"]
    assert sole_delivery().status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


def test_recovery_enqueues_a_due_delivery_whose_task_was_lost(receiver: Receiver) -> None:
    subscribed()
    emit(EventType.INCIDENT_DECLARED, {})
    assert recover_deliveries() == 0  # its task waits
    DBTaskResult.objects.all().delete()  # taken by a worker that died before claiming
    assert recover_deliveries() == 1
    run_tasks()
    assert sole_delivery().status == DeliveryStatus.DELIVERED


def test_sending_again_a_failed_delivery_keeps_its_id_and_starts_a_new_schedule(
    receiver: Receiver,
) -> None:
    subscribed()
    receiver.script = [410]
    emit(EventType.INCIDENT_DECLARED, {})
    run_tasks()
    Subscription.objects.update(is_active=True)
    send_again(delivery=sole_delivery())
    run_tasks()
    delivery = sole_delivery()
    assert (delivery.status, delivery.tries, delivery.attempts.count()) == ("delivered", 1, 2)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


def test_only_a_failed_delivery_can_be_sent_again(receiver: Receiver) -> None:
    subscribed()
    (delivery,) = emit(EventType.INCIDENT_DECLARED, {})
    with pytest.raises(DeliveryNotFailed):
        send_again(delivery=delivery)


def test_the_receivers_verification_rejects_a_stale_try(receiver: Receiver) -> None:
    subscription = subscribed()
    with time_machine.travel(START, tick=False):
        emit(EventType.INCIDENT_DECLARED, {})
        run_tasks()
    request = receiver.requests[0]
    with (
        time_machine.travel(START + timedelta(minutes=6), tick=False),
        pytest.raises(Exception, match="too old"),
    ):
        Webhook(subscription.secret).verify(request.content, dict(request.headers))
