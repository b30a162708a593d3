"""Delivering a webhook: one try at a time, retried by a schedule, then given up.

The delivery is claimed first in a short transaction of its own (claimed_at: a lease longer
than the request's timeout), and the POST goes out after that commit, so no lock is held while
the receiver answers. A worker killed between the two leaves a claim that runs out; the
recovery sweep (webhooks.services.recovery) then enqueues the delivery again. A 2xx delivers
it. Anything else (a status, a timeout, no connection) records an attempt and enqueues the next
try at its time (RETRY_DELAYS, scaled by WEBHOOK_RETRY_SCALE); after MAX_TRIES it is given up
(failed), as it is at once on 410 Gone, which makes the subscription inactive (the Standard
Webhooks spec: the receiver wants no more).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calls.services.write_queue import serialized_writes
from webhooks.client import TIMEOUT_SECONDS, Sent, current_client
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from webhooks.tasks import deliver_webhook

# The wait after each failed try (the first try is at once): about 7.5 hours in all.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
MAX_TRIES = len(RETRY_DELAYS) + 1
# A claim older than this was lost with its worker: the request's timeout, and room to record.
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3)
GONE = 410


@dataclass(frozen=True)
class Claim:
    url: str
    secret: str
    webhook_id: str
    body: str
    at: datetime


def retry_delay(tries: int) -> timedelta:
    """How long to wait after the `tries`-th failed try (1 for the first), scaled."""
    return RETRY_DELAYS[min(tries, len(RETRY_DELAYS)) - 1] * settings.WEBHOOK_RETRY_SCALE


def deliver(*, delivery_id: int) -> None:
    """Send the delivery once, if it is pending, due and not being sent by another worker,
    and record how it went (delivered, the next try enqueued, or given up). Raises nothing for
    a receiver's failure."""
    claim = _claim(delivery_id)
    if claim is None:
        return
    sent = current_client().send(
        url=claim.url,
        secret=claim.secret,
        webhook_id=claim.webhook_id,
        body=claim.body,
        at=claim.at,
    )
    _record(delivery_id, claim, sent)


def _claim(delivery_id: int) -> Claim | None:
    with serialized_writes(), transaction.atomic():
        delivery = _locked(delivery_id)
        now = timezone.now()
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        subscription = delivery.subscription
        if not subscription.is_active:
            _give_up(delivery, "Not sent: the subscription is inactive.")
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None  # not due: the task enqueued for its time sends it
        if delivery.claimed_at is not None and now - delivery.claimed_at < LEASE:
            return None  # another worker is sending it right now
        delivery.claimed_at = now
        delivery.save(update_fields=["claimed_at"])
        return Claim(
            url=subscription.url,
            secret=subscription.secret,
            webhook_id=delivery.webhook_id,
            body=delivery.body,
            at=now,
        )


def _record(delivery_id: int, claim: Claim, sent: Sent) -> None:
    with serialized_writes(), transaction.atomic():
        delivery = _locked(delivery_id)
        if delivery is None:
            return  # its subscription was deleted meanwhile
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts.count() + 1,
            started_at=claim.at,
            duration_ms=sent.duration_ms,
            status_code=sent.status_code,
            error=sent.error,
        )
        if delivery.status != DeliveryStatus.PENDING or delivery.claimed_at != claim.at:
            return  # our lease ran out and another try has taken it over: it decides
        delivery.claimed_at = None
        delivery.tries += 1
        if sent.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
            delivery.next_attempt_at = None
            delivery.save(
                update_fields=["claimed_at", "tries", "status", "delivered_at", "next_attempt_at"]
            )
        elif sent.status_code == GONE:
            _disable(delivery)
        elif delivery.tries >= MAX_TRIES:
            _give_up(delivery, f"Gave up after {delivery.tries} tries; the last: {_how(sent)}.")
        else:
            delivery.next_attempt_at = timezone.now() + retry_delay(delivery.tries)
            delivery.save(update_fields=["claimed_at", "tries", "next_attempt_at"])
            deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)


def _how(sent: Sent) -> str:
    return f"HTTP {sent.status_code}" if sent.status_code is not None else sent.error


def _disable(delivery: Delivery) -> None:
    reason = "The receiver answered 410 Gone: it wants no more webhooks."
    subscription = delivery.subscription
    subscription.is_active, subscription.disabled_reason = False, reason
    subscription.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    _give_up(delivery, f"{reason} The subscription was made inactive.")


def _give_up(delivery: Delivery, why: str) -> None:
    delivery.status, delivery.failure = DeliveryStatus.FAILED, why[:500]
    delivery.claimed_at = delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "failure", "claimed_at", "next_attempt_at", "tries"])


def _locked(delivery_id: int) -> Delivery | None:
    return (
        Delivery.objects.select_for_update(no_key=True, of=("self",))
        .select_related("subscription")
        .filter(pk=delivery_id)
        .first()
    )
