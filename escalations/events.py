"""What the incident page hears of its escalation (over the incident's channel, after commit):

- "escalation": {"policy", "state", "state_label", "stop_reason", "stop_reason_label",
  "current_step", "steps", "next_step_at", "can_escalate"}

JSON primitives only (the Redis layer serialises with msgpack).
"""

from typing import Any

from escalations.models import Escalation, EscalationStopReason
from incidents.events import broadcast_incident_event


def escalation_payload(escalation: Escalation) -> dict[str, Any]:
    reason = escalation.stop_reason
    return {
        "policy": escalation.policy_name,
        "state": escalation.state,
        "state_label": escalation.get_state_display(),
        "stop_reason": reason,
        "stop_reason_label": EscalationStopReason(reason).label if reason else "",
        "current_step": escalation.current_step,
        "steps": escalation.step_count,
        "next_step_at": escalation.next_step_at.isoformat() if escalation.next_step_at else None,
        "can_escalate": escalation.is_running,
    }


def broadcast_escalation(escalation: Escalation) -> None:
    """Queue the escalation's state for its incident's dashboards (sent after commit)."""
    broadcast_incident_event(
        incident_id=escalation.incident_id,
        kind="escalation",
        data=escalation_payload(escalation),
        key=f"escalation.{escalation.pk}",
    )


def escalation_snapshot(incident_id: int) -> dict[str, Any]:
    """The incident page snapshot's part: {"escalation": payload, or None without one}."""
    escalation = Escalation.objects.filter(incident_id=incident_id).first()
    return {"escalation": escalation_payload(escalation) if escalation is not None else None}
