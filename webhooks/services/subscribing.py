"""Subscriptions: which URL is told of which events, and the secret that signs what it gets.

The secret is made here ("whsec_" + base64 of 32 random bytes, the Standard Webhooks format),
handed back once by the function that made it (create, rotate) and never shown again.

URLs must be HTTPS. Plain HTTP is allowed only to this machine (localhost, 127.0.0.1, [::1])
and only with WEBHOOK_ALLOW_LOCAL_HTTP (default: DEBUG), for development and tests.
"""

import base64
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from webhooks.errors import DeliveryNotFailed, InvalidWebhookEvents, InvalidWebhookUrl
from webhooks.models import Delivery, DeliveryStatus, EventType, Subscription
from webhooks.tasks import deliver_webhook

SECRET_BYTES = 32  # the spec asks for 24 to 64
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URL_LENGTH = Subscription._meta.get_field("url").max_length or 2000


@dataclass(frozen=True)
class WithSecret:
    """A subscription just made or given a new secret, and that secret (shown only now)."""

    subscription: Subscription
    secret: str


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_url(url: str) -> str:
    """`url`, stripped, if webhooks may be sent to it; raises InvalidWebhookUrl saying why."""
    url = url.strip()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not url or len(url) > MAX_URL_LENGTH or not host or parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrl(f"Not a webhook URL: {url[:100]!r}. Give an https:// URL.")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("Put no user name or password in the URL: deliveries are signed.")
    if parts.scheme == "http":
        if host not in LOCAL_HOSTS:
            raise InvalidWebhookUrl(
                "Webhook URLs must use https://: plain http:// would show every incident to the "
                "network (allowed only to localhost, for development)."
            )
        if not settings.WEBHOOK_ALLOW_LOCAL_HTTP:
            raise InvalidWebhookUrl(
                "Plain http:// to this machine is allowed only with WEBHOOK_ALLOW_LOCAL_HTTP "
                "(on by default with DEBUG); use https://."
            )
    return url


def check_events(events: list[str]) -> list[str]:
    """The event types, each once, in a stable order; raises InvalidWebhookEvents for none or
    an unknown one."""
    unknown = sorted(set(events) - set(EventType.values))
    if unknown:
        known = ", ".join(EventType.values)
        raise InvalidWebhookEvents(f"Unknown event {unknown[0]!r}: choose from {known}.")
    if not events:
        raise InvalidWebhookEvents("Choose at least one event to subscribe to.")
    return [e for e in EventType.values if e in events]


@audited
@transaction.atomic
def create_subscription(*, url: str, events: list[str], is_active: bool = True) -> WithSecret:
    """Subscribe `url` to `events`, with a new secret. Raises InvalidWebhookUrl,
    InvalidWebhookEvents."""
    secret = new_secret()
    subscription = Subscription.objects.create(
        url=check_url(url), events=check_events(events), is_active=is_active, secret=secret
    )
    record_action(
        action=AuditAction.ADD,
        target=subscription,
        summary=f"Subscribed to {', '.join(subscription.events)}.",
    )
    return WithSecret(subscription=subscription, secret=secret)


@audited
@transaction.atomic
def update_subscription(
    *,
    subscription: Subscription,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> Subscription:
    """Change what is given (the secret stays). Raises InvalidWebhookUrl, InvalidWebhookEvents."""
    if url is not None:
        subscription.url = check_url(url)
    if events is not None:
        subscription.events = check_events(events)
    if is_active is not None:
        subscription.is_active = is_active
        if is_active:
            subscription.disabled_reason = ""
    subscription.save()
    given = {"url": url, "events": events, "is_active": is_active}
    changed = sorted(name for name, value in given.items() if value is not None)
    record_action(
        action=AuditAction.CHANGE,
        target=subscription,
        summary=f"Changed {', '.join(changed)}." if changed else "No fields changed.",
    )
    return subscription


@audited
@transaction.atomic
def rotate_secret(*, subscription: Subscription) -> WithSecret:
    """Give the subscription a new secret: tries from now on are signed with it. Raises
    nothing."""
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    record_action(action=AuditAction.ROTATE_SECRET, target=subscription, summary="New secret.")
    return WithSecret(subscription=subscription, secret=subscription.secret)


@audited
@transaction.atomic
def delete_subscription(*, subscription: Subscription) -> None:
    """Delete the subscription and its deliveries (their tasks find nothing). Raises nothing."""
    record_action(action=AuditAction.DELETE, target=subscription, summary="Deleted.")
    subscription.delete()


@audited
@transaction.atomic
def send_again(*, delivery: Delivery) -> Delivery:
    """Send a failed delivery again: the same webhook-id and body, a fresh retry schedule.
    Raises DeliveryNotFailed for one pending or delivered."""
    locked = Delivery.objects.select_for_update(no_key=True).get(pk=delivery.pk)
    if locked.status != DeliveryStatus.FAILED:
        raise DeliveryNotFailed(f"Delivery {locked.webhook_id} is {locked.status}, not failed.")
    locked.status, locked.tries, locked.failure = DeliveryStatus.PENDING, 0, ""
    locked.next_attempt_at, locked.claimed_at = timezone.now(), None
    locked.save(update_fields=["status", "tries", "failure", "next_attempt_at", "claimed_at"])
    deliver_webhook.enqueue(locked.pk)
    record_action(
        action=AuditAction.SEND_AGAIN,
        target=locked,
        summary=f"Sent {locked.webhook_id} to {locked.subscription.url} again.",
    )
    return locked
