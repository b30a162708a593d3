"""Taking alerts in: every body is kept, a good one is queued for the worker at once.

The monitoring system gets its answer in milliseconds (Alertmanager gives up after 10 s by
default), and what the alert leads to (declaring, calling, resolving) is background work that
survives a restart: the alert row and its task are stored in one transaction.
"""

from django.db import transaction
from django.utils import timezone

from integrations.errors import AlertRefused, UnknownIntegration
from integrations.models import Alert, AlertOutcome, Integration
from integrations.payloads import parse_alert
from integrations.tasks import process_alert

# What is kept of a body for inspection (a bigger one is cut: what matters is at its start).
MAX_KEPT_BODY = 100_000


def receive_alert(*, token: str, body: bytes) -> Alert:
    """Keep the alert `body` posted to the integration with `token` and queue it. Raises
    UnknownIntegration when no active integration has that token (nothing is kept), and
    AlertRefused, with the reason, when the body is not what its kind sends (kept, refused)."""
    integration = Integration.objects.filter(token=token, is_active=True).first()
    if integration is None:
        raise UnknownIntegration("No such integration.")
    # As text a database stores: PostgreSQL holds no NUL character, not even to say it was sent.
    kept = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")[:MAX_KEPT_BODY]
    try:
        parsed = parse_alert(integration.kind, body)
    except AlertRefused as exc:
        Alert.objects.create(
            integration=integration,
            body=kept,
            outcome=AlertOutcome.REFUSED,
            message=exc.message[:500],
            processed_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        alert = Alert.objects.create(
            integration=integration,
            body=kept,
            dedup_key=parsed.dedup_key,
            firing=parsed.firing,
            title=parsed.title,
            description=parsed.description,
            severity=parsed.severity,
        )
        process_alert.enqueue(alert.pk)
    return alert
