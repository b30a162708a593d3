"""Running an escalation's later steps: at their time (a task), or at once ("escalate now").

A step runs under the escalation's row lock, only while it is running, the incident open and
fewer than its quorum of people acknowledged (stopping.enough_acknowledged); it records
itself (current_step, the timeline, incident.escalated) and schedules the next in the same
transaction, so a task that runs twice or late finds the step done and does nothing.

A broadcast step adds its people to the call-out in that transaction (the pacer dials them).
A bridge step's invitations are provider requests, sent after it commits: `dispatched_step`
says which steps' invitations went out, and a worker claims the sending with a lease
(`dispatch_claimed_at`), so a worker killed in between leaves it to escalations.recovery.
"""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from callouts.policy import chosen_rules
from callouts.services.extending import extend_callout
from calls.controls import is_connected
from calls.models import AudioPrompt, Call, CallMode, CallState
from calls.selectors import default_prompt
from calls.services import invite_to_call, place_call, prepare_calls
from calls.targets import Target
from config.errors import DomainError
from escalations.errors import EscalationNotRunning
from escalations.events import broadcast_escalation
from escalations.models import Escalation, EscalationState, EscalationStopReason
from escalations.services.steps import how, merged, step_mode, step_targets, step_wait
from escalations.services.stopping import enough_acknowledged, stop
from escalations.tasks import run_escalation
from incidents.events import batched_broadcasts
from incidents.models import Incident, TimelineKind
from incidents.timeline import actor_name, add_timeline_entry, count_people
from webhooks.services.emitting import emit_incident_escalated

# How long a worker's claim on sending a step's invitations holds before another may send.
LEASE = timedelta(seconds=30)
# While the bridge call is still being set up the provider takes no invitation: look again.
BRIDGE_RETRY = timedelta(seconds=2)
_OVER = (CallState.FAILED, CallState.TERMINATING, CallState.TERMINATED)


def run_escalation_work(*, escalation_id: int) -> None:
    """The task's work: the next step if it is due, then any invitations not sent yet."""
    advance_escalation(escalation_id=escalation_id)
    send_invitations(escalation_id=escalation_id)


@transaction.atomic
@batched_broadcasts()
def advance_escalation(*, escalation_id: int) -> Escalation:
    """Run the escalation's next step if its time has come (else change nothing); it stops
    instead if the incident closed or enough people acknowledged. Raises nothing of its own."""
    escalation = Escalation.objects.select_for_update(no_key=True).get(pk=escalation_id)
    due = escalation.next_step_at
    if not escalation.is_running or due is None or due > timezone.now():
        return escalation  # stopped, finished, or the step ran already (a twin, or escalated)
    return _next_step(escalation, actor=None)


@audited
def escalate_now(*, incident: Incident, actor: User | None) -> Escalation:
    """Run the incident's next step now, without waiting (it stops instead if enough people
    acknowledged); the wait for the one after starts now. Raises EscalationNotRunning."""
    with transaction.atomic(), batched_broadcasts():
        escalation = (
            Escalation.objects.select_for_update(no_key=True).filter(incident=incident).first()
        )
        if escalation is None or not escalation.is_running:
            raise EscalationNotRunning("This incident has no escalation running.")
        escalation = _next_step(escalation, actor=actor)
        if escalation.dispatched_step < escalation.current_step:
            run_escalation.enqueue(escalation.pk)  # a worker sends the invitations
        record_action(
            action=AuditAction.ESCALATE,
            target=incident,
            actor=actor,
            incident_id=incident.pk,
            summary=f"Escalated now: step {escalation.current_step} of {len(escalation.steps)}.",
        )
    return escalation


def _next_step(escalation: Escalation, *, actor: User | None) -> Escalation:
    incident = Incident.objects.get(pk=escalation.incident_id)
    if not incident.is_open:
        return stop(escalation, reason=EscalationStopReason.INCIDENT_CLOSED)
    if enough_acknowledged(escalation):
        return stop(escalation, reason=EscalationStopReason.ACKNOWLEDGED)
    number = escalation.current_step + 1
    step = escalation.steps[number - 1]
    targets = step_targets(step)
    mode = step_mode(step)
    refused = ""
    if mode == CallMode.BROADCAST and targets:
        refused = _add_to_callout(incident, targets)
    nothing_to_send = mode == CallMode.BROADCAST or not targets
    if nothing_to_send and escalation.dispatched_step == escalation.current_step:
        escalation.dispatched_step = number  # no invitation waits for this step
    escalation.current_step = number
    record_step(
        escalation,
        incident=incident,
        targets=targets,
        actor=actor,
        escalated_now=actor is not None,
        refused=refused,
    )
    return escalation


def record_step(
    escalation: Escalation,
    *,
    incident: Incident,
    targets: list[Target],
    actor: User | None,
    escalated_now: bool = False,
    refused: str = "",
) -> None:
    """Save the (locked) escalation having run its `current_step`, schedule the next step (or
    finish), and tell the timeline (that `actor` escalated now, if `escalated_now`), the
    webhooks and the page. In the caller's transaction."""
    number, step = escalation.current_step, escalation.steps[escalation.current_step - 1]
    now = timezone.now()
    if number < escalation.step_count:
        escalation.next_step_at = now + step_wait(step)
        run_escalation.using(run_after=escalation.next_step_at).enqueue(escalation.pk)
    else:
        escalation.next_step_at = None
        escalation.state = EscalationState.FINISHED
        escalation.stop_reason = EscalationStopReason.STEPS_EXHAUSTED
        escalation.stopped_at = now
    escalation.save()
    by = f" ({actor_name(actor)} escalated now)" if escalated_now else ""
    calling = (
        f"calling {count_people(len(targets))} {how(step_mode(step))}"
        if targets
        else "nobody to call"
    )
    add_timeline_entry(
        incident_id=incident.pk,
        kind=TimelineKind.ESCALATION,
        text=f"Escalation ({escalation.policy_name}) step {number} of {escalation.step_count}: "
        f"{calling}{by}.{' ' + refused if refused else ''}",
        actor=actor,
    )
    emit_incident_escalated(
        incident=incident, step=number, policy=escalation.policy_name, called=len(targets)
    )
    broadcast_escalation(escalation)


def _add_to_callout(incident: Incident, targets: list[Target]) -> str:
    """Add the step's people to the call-out; what refused it, if anything (told, not raised:
    the step ran, and the next one still comes)."""
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the step's record intact
            extend_callout(
                incident=incident,
                targets=targets,
                prompt=incident_prompt(incident),
                rules=chosen_rules(None),
            )
    except DomainError as exc:
        return f"Not called: {exc.message}"
    return ""


def incident_prompt(incident: Incident) -> AudioPrompt | None:
    """What the people an escalation adds hear: the incident's first call's prompt, else its
    call-out's, else the default."""
    first = incident.calls.select_related("prompt").order_by("id").first()
    if first is not None:
        return first.prompt
    callout = getattr(incident, "callout", None)
    return callout.prompt if callout is not None else default_prompt()


def send_invitations(*, escalation_id: int) -> None:
    """Ring the people of the bridge steps run but not sent yet into the incident's bridge
    call (a new one if it has none); unless another worker's claim holds. Provider refusals
    are told in the timeline, not raised: nobody waits on this."""
    claimed = _claim_sending(escalation_id)
    if claimed is None:
        return
    upto, incident, bridge, targets = claimed
    try:
        if bridge is not None and bridge.state == CallState.PENDING and _rings(bridge, targets):
            place_call(call=bridge, actor=None)  # new, or left by a killed worker: same request id
        elif bridge is not None and is_connected(bridge):
            invite_to_call(call=bridge, targets=targets, actor=None)
        elif bridge is not None:  # still being set up: the provider takes no invitation yet
            Escalation.objects.filter(pk=escalation_id).update(dispatch_claimed_at=None)
            run_escalation.using(run_after=timezone.now() + BRIDGE_RETRY).enqueue(escalation_id)
            return
    except DomainError as exc:
        with transaction.atomic():
            add_timeline_entry(
                incident_id=incident.pk,
                kind=TimelineKind.ERROR,
                text=f"The escalation's bridge invitations were not sent: {exc.message}",
            )
    Escalation.objects.filter(pk=escalation_id, dispatched_step__lt=upto).update(
        dispatched_step=upto, dispatch_claimed_at=None
    )


@transaction.atomic
def _claim_sending(
    escalation_id: int,
) -> tuple[int, Incident, Call | None, list[Target]] | None:
    escalation = Escalation.objects.select_for_update(no_key=True).get(pk=escalation_id)
    now = timezone.now()
    claim = escalation.dispatch_claimed_at
    if escalation.dispatched_step >= escalation.current_step or (claim and claim > now - LEASE):
        return None
    upto = escalation.current_step
    # The incident's row, as closing it locks it: nobody is rung on a closing incident.
    incident = Incident.objects.select_for_update(no_key=True).get(pk=escalation.incident_id)
    unsent = escalation.steps[escalation.dispatched_step : upto]
    targets = merged(*(step_targets(s) for s in unsent if step_mode(s) == CallMode.BRIDGE))
    if not incident.is_open or not targets:
        escalation.dispatched_step, escalation.dispatch_claimed_at = upto, None
        escalation.save(update_fields=["dispatched_step", "dispatch_claimed_at"])
        return None
    escalation.dispatch_claimed_at = now
    escalation.save(update_fields=["dispatch_claimed_at"])
    bridge = _open_bridge(incident)
    if bridge is None:
        (bridge,) = prepare_calls(
            incident=incident,
            targets=targets,
            mode=CallMode.BRIDGE,
            prompt=incident_prompt(incident),
        )
    return upto, incident, bridge, targets


def _rings(call: Call, targets: list[Target]) -> bool:
    """Whether the call not placed yet has every one of `targets` among its people (one this
    module made; not the declaration's, which places its own)."""
    people = set(call.participants.values_list("identifier", flat=True))
    return {t.identifier for t in targets} <= people


def _open_bridge(incident: Incident) -> Call | None:
    return (
        incident.calls.filter(mode=CallMode.BRIDGE)
        .exclude(state__in=_OVER)
        .order_by("-created_at", "-id")
        .first()
    )
