"""Emitting events: one delivery per subscription that wants the event, stored in the caller's
transaction (with the task that sends it), so that it commits with the change it tells of, or
not at all.

The domain services call one emitter each, at the point the change happens (no signals):
incidents.services (declared, resolved, cancelled), callouts.services.keypad and
calls.services.applying (acknowledged), callouts.services.settling and .stopping (call-out
finished). `emit_incident_escalated` is for the escalation feature to call when it runs a step.
"""

import json
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from callouts.models import Callout
from callouts.selectors import callout_progress
from incidents.models import Incident, IncidentStatus
from webhooks.models import Delivery, EventType, Subscription
from webhooks.payloads import incident_data, person_data
from webhooks.tasks import deliver_webhook

_CLOSED = {
    IncidentStatus.RESOLVED: EventType.INCIDENT_RESOLVED,
    IncidentStatus.CANCELLED: EventType.INCIDENT_CANCELLED,
}


def emit(event_type: EventType, data: dict[str, Any]) -> list[Delivery]:
    """Store `{"type", "timestamp", "data"}` once for each active subscription to `event_type`
    and enqueue its sending, in the caller's transaction. `data` holds JSON primitives only.
    Returns the deliveries (none: one cheap query). Raises TypeError for data JSON cannot
    hold."""
    wanted = [s for s in Subscription.objects.filter(is_active=True) if s.wants(event_type)]
    if not wanted:
        return []
    now = timezone.now()
    envelope = {"type": str(event_type), "timestamp": now.isoformat(), "data": data}
    body = json.dumps(envelope, separators=(",", ":"), allow_nan=False)
    deliveries = []
    with transaction.atomic():  # a savepoint inside the caller's transaction, if it has one
        for subscription in wanted:
            delivery = Delivery.objects.create(
                subscription=subscription,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                event_type=event_type,
                body=body,
                next_attempt_at=now,
            )
            deliver_webhook.enqueue(delivery.pk)
            deliveries.append(delivery)
    return deliveries


def emit_incident_declared(*, incident: Incident) -> list[Delivery]:
    """incident.declared: the incident was just stored (see emit)."""
    return emit(EventType.INCIDENT_DECLARED, {"incident": incident_data(incident)})


def emit_incident_closed(*, incident: Incident) -> list[Delivery]:
    """incident.resolved or incident.cancelled, by the status `incident` has just moved to;
    any other status emits nothing (see emit)."""
    event_type = _CLOSED.get(IncidentStatus(incident.status))
    if event_type is None:
        return []
    return emit(event_type, {"incident": incident_data(incident)})


def emit_incident_acknowledged(
    *, incident: Incident, name: str, identifier: str, via: str
) -> list[Delivery]:
    """incident.acknowledged: the person `identifier` (called `name`) pressed the key that says
    they are on it, `via` "callout" (their own call) or "bridge" (the bridge call); see emit."""
    person = person_data(name=name, identifier=identifier, via=via)
    return emit(
        EventType.INCIDENT_ACKNOWLEDGED, {"incident": incident_data(incident), "person": person}
    )


def emit_incident_escalated(
    *, incident: Incident, step: int, policy: str, called: int
) -> list[Delivery]:
    """incident.escalated: the escalation policy named `policy` ran its step `step` (1 for the
    first), calling `called` people, because too few had acknowledged. For the escalation
    feature to call in the transaction that records the step (see emit)."""
    escalation = {"step": step, "policy": policy, "called": called}
    return emit(
        EventType.INCIDENT_ESCALATED,
        {"incident": incident_data(incident), "escalation": escalation},
    )


def emit_callout_finished(*, callout: Callout) -> list[Delivery]:
    """callout.finished: the call-out has just finished (everyone was tried) or been stopped
    (its `stop_reason`), with how many recipients stand in each status (see emit)."""
    counts = callout_progress(callout).counts
    data = {
        "id": callout.pk,
        "state": str(callout.state),
        "stop_reason": str(callout.stop_reason),
        "recipients": sum(counts.values()),
        "counts": counts,
    }
    return emit(
        EventType.CALLOUT_FINISHED, {"incident": incident_data(callout.incident), "callout": data}
    )
