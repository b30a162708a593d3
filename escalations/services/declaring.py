"""Declaring with an escalation policy: step 1 is the declaration's own calls.

The people of step 1 are called with the targets given, in step 1's mode; the escalation is
stored inside the declaring transaction (declare_incident's `on_declared`), with its next
step scheduled, so the incident never exists without it.
"""

from collections.abc import Callable

from django.contrib.auth.models import User

from callouts.policy import Rules
from calls.models import CallMode
from calls.services.prompts import DEFAULT_PROMPT, PromptChoice
from calls.targets import Target
from contacts.phone import normalize_targets
from escalations.errors import InvalidEscalationPolicy
from escalations.models import Escalation, EscalationPolicy
from escalations.services.stepping import record_step
from escalations.services.steps import Step, merged, step_mode, step_targets
from incidents.models import Incident, Severity
from incidents.services import declare_incident


def policy_snapshot(policy: EscalationPolicy) -> list[Step]:
    """The policy's steps as an escalation copies them. Raises InvalidEscalationPolicy for a
    policy with no steps."""
    steps = [
        {
            "groups": sorted(g.pk for g in step.groups.all()),
            "contacts": sorted(c.pk for c in step.contacts.all()),
            # The admin site stores the numbers as typed (validated, not rewritten).
            "targets": normalize_targets(step.targets)[0],
            "mode": step.mode,
            "wait_seconds": step.wait_seconds,
        }
        for step in policy.steps.prefetch_related("groups", "contacts").order_by("position")
    ]
    if not steps:
        raise InvalidEscalationPolicy(f"The escalation policy {policy} has no steps.")
    return steps


def declare_escalating(
    *,
    policy: EscalationPolicy,
    title: str,
    description: str = "",
    severity: Severity = Severity.MAJOR,
    targets: list[Target],
    prompt: PromptChoice = DEFAULT_PROMPT,
    rules: Rules | None = None,
    quorum: int | None = None,
    declared_by: User | None,
    on_declared: Callable[[Incident], None] | None = None,
) -> Incident:
    """Declare an incident escalated by `policy`: its step 1 people and `targets` are called
    at once, in step 1's mode (`rules` and `quorum` apply when that is a call-out); the next
    steps follow (escalations.services.stepping). As declare_incident otherwise, and raises
    what it raises, and InvalidEscalationPolicy for a policy with no steps."""
    steps = policy_snapshot(policy)
    people = merged(targets, step_targets(steps[0]))
    mode = step_mode(steps[0])
    broadcast = mode == CallMode.BROADCAST

    def start(incident: Incident) -> None:  # inside the declaring transaction
        escalation = Escalation.objects.create(
            incident=incident,
            policy=policy,
            policy_name=policy.name,
            ack_quorum=policy.ack_quorum,
            steps=steps,
            current_step=1,
            dispatched_step=1,  # the declaration places step 1's calls itself
        )
        record_step(escalation, incident=incident, targets=people, actor=declared_by)
        if on_declared is not None:
            on_declared(incident)

    return declare_incident(
        title=title,
        description=description,
        severity=severity,
        targets=people,
        mode=mode,
        prompt=prompt,
        rules=rules if broadcast else None,
        quorum=quorum if broadcast else None,
        declared_by=declared_by,
        on_declared=start,
    )


def declaring_mode(*, policy: EscalationPolicy | None, mode: CallMode) -> CallMode:
    """The mode a declaration calls in: step 1's with a policy (the mode asked for is not
    used), else `mode`; the interfaces judge the call-out rules by it."""
    if policy is None:
        return mode
    first = policy.steps.order_by("position").first()
    return CallMode(first.mode) if first is not None else mode


def declare_with_policy(
    *,
    policy: EscalationPolicy | None,
    title: str,
    description: str = "",
    severity: Severity = Severity.MAJOR,
    targets: list[Target],
    mode: CallMode = CallMode.BRIDGE,
    prompt: PromptChoice = DEFAULT_PROMPT,
    rules: Rules | None = None,
    quorum: int | None = None,
    declared_by: User | None,
    on_declared: Callable[[Incident], None] | None = None,
) -> Incident:
    """declare_escalating with a policy (`mode` is step 1's then), else declare_incident: the
    one call of every interface that declares. Raises what those raise."""
    if policy is None:
        return declare_incident(
            title=title,
            description=description,
            severity=severity,
            targets=targets,
            mode=mode,
            prompt=prompt,
            rules=rules,
            quorum=quorum,
            declared_by=declared_by,
            on_declared=on_declared,
        )
    return declare_escalating(
        policy=policy,
        title=title,
        description=description,
        severity=severity,
        targets=targets,
        prompt=prompt,
        rules=rules,
        quorum=quorum,
        declared_by=declared_by,
        on_declared=on_declared,
    )
