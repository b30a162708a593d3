"""Configuring escalation policies (the API; the admin site edits the same rows)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from audit.models import AuditAction
from audit.services import audited, record_action
from calls.models import CallMode
from contacts.models import Contact, ContactGroup
from escalations.errors import InvalidEscalationPolicy
from escalations.models import EscalationPolicy, EscalationStep

MAX_STEPS = 20


@dataclass(frozen=True)
class StepSpec:
    """One step as given: whom to call (numbers already normalised), how, then how long to wait."""

    mode: CallMode
    wait_seconds: int
    groups: Sequence[ContactGroup] = field(default_factory=list)
    contacts: Sequence[Contact] = field(default_factory=list)
    targets: Sequence[str] = field(default_factory=list)


def check_steps(steps: Sequence[StepSpec]) -> None:
    """Raises InvalidEscalationPolicy for no steps, or too many."""
    if not steps:
        raise InvalidEscalationPolicy("Give at least one step.")
    if len(steps) > MAX_STEPS:
        raise InvalidEscalationPolicy(f"A policy has at most {MAX_STEPS} steps.")


@audited
@transaction.atomic
def create_policy(*, name: str, ack_quorum: int = 1, steps: Sequence[StepSpec]) -> EscalationPolicy:
    """Store a policy and its steps, in order. Raises InvalidEscalationPolicy."""
    check_steps(steps)
    policy = EscalationPolicy.objects.create(name=name, ack_quorum=ack_quorum)
    _store_steps(policy, steps)
    record_action(action=AuditAction.ADD, target=policy, summary="Added.")
    return policy


@audited
@transaction.atomic
def update_policy(
    *,
    policy: EscalationPolicy,
    name: str | None = None,
    ack_quorum: int | None = None,
    steps: Sequence[StepSpec] | None = None,
) -> EscalationPolicy:
    """Change what is given; `steps` replaces every step. Escalations already running keep
    the steps they copied. Raises InvalidEscalationPolicy."""
    policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
    if name is not None:
        policy.name = name
    if ack_quorum is not None:
        policy.ack_quorum = ack_quorum
    policy.save()
    if steps is not None:
        check_steps(steps)
        policy.steps.all().delete()
        _store_steps(policy, steps)
    given = {"name": name, "ack_quorum": ack_quorum, "steps": steps}
    changed = sorted(field for field, value in given.items() if value is not None)
    said = f"Changed {', '.join(changed)}." if changed else "No fields changed."
    record_action(action=AuditAction.CHANGE, target=policy, summary=said)
    return policy


@audited
@transaction.atomic
def delete_policy(*, policy: EscalationPolicy) -> None:
    """Delete the policy; escalations that ran it keep their copy of its steps."""
    record_action(action=AuditAction.DELETE, target=policy, summary="Deleted.")
    policy.delete()


def _store_steps(policy: EscalationPolicy, steps: Sequence[StepSpec]) -> None:
    for position, spec in enumerate(steps, start=1):
        step = EscalationStep.objects.create(
            policy=policy,
            position=position,
            mode=spec.mode,
            wait_seconds=spec.wait_seconds,
            targets=list(spec.targets),
        )
        step.groups.set(spec.groups)
        step.contacts.set(spec.contacts)
