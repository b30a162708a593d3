"""Stopping an escalation: when the K-th person acknowledges, and when its incident closes.

The acknowledgement points (calls.services.applying for a bridge, callouts.services.keypad for
a call-out) call stop_escalation_if_acknowledged_after_commit: the count is taken after their
transaction commits, in a transaction of its own, so this row is never locked after theirs
(stepping locks the escalation first, then the call-out). Should that be lost (a worker
killed in between), the step task counts again under the escalation's lock before it calls
anyone: the rule "fewer than K acknowledged" is this module's acknowledged_count either way.
"""

from functools import partial

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from calls.models import Participant
from escalations.events import broadcast_escalation
from escalations.models import Escalation, EscalationState, EscalationStopReason
from incidents.events import batched_broadcasts
from incidents.models import Incident, TimelineKind
from incidents.timeline import actor_name, add_timeline_entry


def acknowledged_count(incident_id: int) -> int:
    """How many distinct people acknowledged the incident, on any of its calls (the bridge
    calls and the call-out's, whose keypad marks its participant acknowledged too)."""
    acknowledged = Participant.objects.filter(call__incident_id=incident_id, acknowledged=True)
    return acknowledged.order_by().values("identifier").distinct().count()


def enough_acknowledged(escalation: Escalation) -> bool:
    return acknowledged_count(escalation.incident_id) >= escalation.ack_quorum


def stop_escalation_if_acknowledged_after_commit(*, incident_id: int) -> None:
    """Once the caller's transaction commits, stop the incident's escalation if enough people
    have acknowledged (see the module). Raises nothing of its own."""
    # Robust: a failure here (logged by Django) must not keep the acknowledging batch's other
    # after-commit work (its broadcasts, its provider requests) from running.
    transaction.on_commit(
        partial(stop_escalation_if_acknowledged, incident_id=incident_id), robust=True
    )


@transaction.atomic
@batched_broadcasts()
def stop_escalation_if_acknowledged(*, incident_id: int) -> Escalation | None:
    """Stop the incident's running escalation if at least its quorum of people acknowledged;
    return it if stopped now. Raises nothing of its own."""
    escalation = _locked_running(incident_id)
    if escalation is None or not enough_acknowledged(escalation):
        return None
    return stop(escalation, reason=EscalationStopReason.ACKNOWLEDGED)


@transaction.atomic
@batched_broadcasts()
def stop_escalation_of_incident(*, incident: Incident, actor: User | None) -> Escalation | None:
    """Stop the incident's running escalation because the incident closed; return it if
    stopped now. Raises nothing of its own."""
    escalation = _locked_running(incident.pk)
    if escalation is None:
        return None
    return stop(escalation, reason=EscalationStopReason.INCIDENT_CLOSED, actor=actor)


def stop(
    escalation: Escalation, *, reason: EscalationStopReason, actor: User | None = None
) -> Escalation:
    """Mark the (locked, running) escalation stopped for `reason`, tell the timeline and the
    page. In the caller's transaction."""
    escalation.state = EscalationState.STOPPED
    escalation.stop_reason = reason
    escalation.stopped_at = timezone.now()
    escalation.next_step_at = None
    escalation.save(update_fields=["state", "stop_reason", "stopped_at", "next_step_at"])
    by = f" by {actor_name(actor)}" if actor is not None else ""
    add_timeline_entry(
        incident_id=escalation.incident_id,
        kind=TimelineKind.ESCALATION,
        text=f"Escalation stopped after step {escalation.current_step} of "
        f"{escalation.step_count}: {reason.label.lower()}{by}.",
        actor=actor,
    )
    broadcast_escalation(escalation)
    return escalation


def _locked_running(incident_id: int) -> Escalation | None:
    return (
        Escalation.objects.select_for_update(no_key=True)
        .filter(incident_id=incident_id, state=EscalationState.RUNNING)
        .first()
    )
