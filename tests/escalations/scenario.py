"""Escalations under test: a policy of numbers, declared through the service every interface
calls; the provider faked at the transport, the bridge's callbacks applied as they arrive."""

from typing import Any

from calls.models import Call, CallMode
from calls.targets import resolve_targets
from escalations.models import Escalation, EscalationPolicy
from escalations.services.declaring import declare_with_policy
from escalations.services.policies import StepSpec, create_policy
from incidents.models import Incident, TimelineKind
from tests.callouts.lines import Lines, state, tone
from tests.provider_callbacks import callback

A, B, C = "+14255550101", "+14255550102", "+14255550103"


def policy(*steps: tuple[list[str], CallMode, int], ack_quorum: int = 1) -> EscalationPolicy:
    """A policy whose steps call `numbers` in `mode`, then wait `seconds`."""
    return create_policy(
        name=f"Policy {EscalationPolicy.objects.count() + 1}",
        ack_quorum=ack_quorum,
        steps=[StepSpec(mode=mode, wait_seconds=s, targets=numbers) for numbers, mode, s in steps],
    )


def declare(made: EscalationPolicy, *, numbers: tuple[str, ...] = (), **extra: Any) -> Incident:
    return declare_with_policy(
        policy=made,
        title="Database down",
        targets=resolve_targets(numbers=numbers),
        declared_by=None,
        **extra,
    )


def escalation_of(incident: Incident) -> Escalation:
    return Escalation.objects.get(incident=incident)


def escalation_lines(incident: Incident) -> list[str]:
    return list(
        incident.timeline.filter(kind=TimelineKind.ESCALATION)
        .order_by("at", "id")
        .values_list("text", flat=True)
    )


def bridge_of(incident: Incident) -> Call:
    return incident.calls.filter(mode=CallMode.BRIDGE).order_by("id").first()  # type: ignore[return-value]


def roster(call: Call, numbers: list[str]) -> dict[str, Any]:
    return callback("ParticipantsUpdated", call=call, people=numbers)


def acknowledge_alone(lines: Lines, call: Call, number: str) -> None:
    """`number` is the only one on the bridge and presses 1 (the preview credits the one
    person on a bridge call)."""
    lines.run(lines.deliver(call, state(call, "CallConnected"), roster(call, [number])))
    lines.run(lines.deliver(call, tone(call, "1", who=number)))
