"""Every change to an incident goes through these functions."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from callouts.policy import Rules, chosen_rules, refuse_rules_for_bridge
from callouts.services import Schedule, start_callout, stop_callout_of_incident
from callouts.services.starting import check_callout
from calls.errors import ProviderFailed
from calls.models import AudioPrompt, CallMode, CallState
from calls.services import place_call, prepare_calls
from calls.services.hanging_up import NotHungUp, hang_up_each
from calls.services.prompts import DEFAULT_PROMPT, PromptChoice, chosen_prompt
from calls.targets import Target
from escalations.services.stopping import stop_escalation_of_incident
from incidents.errors import CallsNotPlaced, InvalidTransition
from incidents.events import (
    batched_broadcasts,
    broadcast_incident_event,
    broadcast_incident_listed,
    incident_payload,
)
from incidents.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Incident,
    IncidentKind,
    IncidentStatus,
    Severity,
    TimelineKind,
)
from incidents.timeline import actor_name, add_timeline_entry, count_people
from webhooks.services.emitting import emit_incident_closed, emit_incident_declared

# The transitions a person (or an integration) asks for; the system's own (active once a call
# is out) are not anyone's action.
AUDITED_TRANSITIONS = {
    IncidentStatus.RESOLVED: AuditAction.RESOLVE,
    IncidentStatus.CANCELLED: AuditAction.CANCEL,
}


@transaction.atomic
@batched_broadcasts()
def transition_incident(
    *, incident: Incident, to: IncidentStatus, actor: User | None = None
) -> Incident:
    """Move the incident to status `to`; raises InvalidTransition when the move is not allowed."""
    # Lock the row: two operators resolving at once must not both pass the guard.
    locked = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if to not in ALLOWED_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            f"An incident that is {locked.get_status_display().lower()} cannot become "
            f"{IncidentStatus(to).label.lower()}."
        )
    locked.status = to
    locked.closed_at = None if to in OPEN_STATUSES else timezone.now()
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    broadcast_incident_event(incident_id=locked.pk, kind="incident", data=incident_payload(locked))
    broadcast_incident_listed(locked)
    said = f"Status changed to {IncidentStatus(to).label.lower()} by {actor_name(actor)}."
    add_timeline_entry(incident_id=locked.pk, kind=TimelineKind.STATUS, text=said, actor=actor)
    if to in AUDITED_TRANSITIONS:
        record_action(
            action=AUDITED_TRANSITIONS[IncidentStatus(to)],
            target=locked,
            actor=actor,
            incident_id=locked.pk,
            summary=said,
        )
    emit_incident_closed(incident=locked)  # resolved or cancelled: the webhooks are told
    return locked


@audited
def declare_incident(
    *,
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
    kind: IncidentKind = IncidentKind.INCIDENT,
    schedule: Schedule | None = None,
) -> Incident:
    """Declare an incident and phone `targets`; the incident becomes active once a call is out.

    `on_declared`, if given, is called with the new incident inside the declaring transaction
    (before any call is placed), so what it records is kept with the incident or not at all:
    an exception it raises undoes the declaration and is raised from here.

    The calls play `prompt` once they connect: unless told, the default prompt; None, nothing;
    a TypedMessage, its text spoken (calls.services.prompts.typed_prompt, which says what it
    raises).
    In broadcast mode the incident gets a call-out (one call per person, by `rules`, default
    the default policy; stopping after `quorum` acknowledgements) and is active at once: the
    dialling is background work, so this returns without waiting for the provider. Raises
    InvalidPolicy, TooManyRecipients too, and InvalidPolicy for rules or a quorum given with
    a bridge call.

    Raises NothingToCall before anything is stored. A provider failure does not undo the
    declaration: the failed call is recorded (state "failed", with the reason) for a retry,
    and CallsNotPlaced (a ProviderFailed carrying the incident) is raised after the commit.
    """
    if mode == CallMode.BROADCAST:
        return _declare_callout(
            title=title,
            description=description,
            severity=severity,
            targets=targets,
            prompt=chosen_prompt(prompt),
            rules=rules or chosen_rules(None),
            quorum=quorum,
            declared_by=declared_by,
            on_declared=on_declared,
            kind=kind,
            schedule=schedule,
        )
    refuse_rules_for_bridge(policy=rules, quorum=quorum)
    played = chosen_prompt(prompt)  # a typed message is spoken before the transaction begins
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title, description=description, severity=severity, declared_by=declared_by
        )
        if on_declared is not None:
            on_declared(incident)
        calls = prepare_calls(incident=incident, targets=targets, mode=mode, prompt=played)
        broadcast_incident_listed(incident)
        said = (
            f"Declared ({incident.get_severity_display().lower()}) by "
            f"{actor_name(declared_by)}; calling {count_people(len(targets))}."
        )
        _record_declared(incident, said, declared_by)
        emit_incident_declared(incident=incident)
    failures = []
    for call in calls:
        try:
            place_call(call=call, actor=declared_by)
        except ProviderFailed as exc:
            failures.append(exc)
    if len(failures) < len(calls):
        incident = transition_incident(incident=incident, to=IncidentStatus.ACTIVE)
    if failures:
        raise CallsNotPlaced(
            f"Incident #{incident.pk} is declared, but {len(failures)} of {len(calls)} calls "
            f"were not placed: {failures[0].message} Retry from the incident page.",
            incident=incident,
        )
    return incident


def _declare_callout(
    *,
    title: str,
    description: str,
    severity: Severity,
    targets: list[Target],
    prompt: AudioPrompt | None,
    rules: Rules,
    quorum: int | None,
    declared_by: User | None,
    on_declared: Callable[[Incident], None] | None,
    kind: IncidentKind,
    schedule: Schedule | None,
) -> Incident:
    quorum = check_callout(targets=targets, quorum=quorum)  # before anything is stored
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title,
            description=description,
            severity=severity,
            declared_by=declared_by,
            status=IncidentStatus.ACTIVE,
            kind=kind,
        )
        if on_declared is not None:
            on_declared(incident)
        start_callout(
            incident=incident,
            targets=targets,
            prompt=prompt,
            rules=rules,
            quorum=quorum,
            schedule=schedule,
        )
        broadcast_incident_listed(incident)
        said = (
            f"Declared ({incident.get_severity_display().lower()}) by "
            f"{actor_name(declared_by)}; calling {count_people(len(targets))} one by one."
        )
        _record_declared(incident, said, declared_by)
        emit_incident_declared(incident=incident)
    return incident


def _record_declared(incident: Incident, said: str, declared_by: User | None) -> None:
    add_timeline_entry(
        incident_id=incident.pk, kind=TimelineKind.STATUS, text=said, actor=declared_by
    )
    record_action(
        action=AuditAction.DECLARE,
        target=incident,
        actor=declared_by,
        incident_id=incident.pk,
        summary=said,
    )


@dataclass(frozen=True)
class ClosedIncident:
    """A resolved or cancelled incident, and the calls that could not be hung up (retry each)."""

    incident: Incident
    not_hung_up: list[NotHungUp]


@audited
def resolve_incident(*, incident: Incident, actor: User | None) -> ClosedIncident:
    """Resolve the incident and hang up every call; raises InvalidTransition.

    A hang-up the provider fails leaves the incident resolved and that call running: it is
    in `not_hung_up` and in the timeline, and its own hang-up can be tried again.
    """
    return _close_incident(incident=incident, to=IncidentStatus.RESOLVED, actor=actor)


@audited
def cancel_incident(*, incident: Incident, actor: User | None) -> ClosedIncident:
    """Cancel the incident (a false alarm) and hang up every call; raises InvalidTransition.

    Hang-ups the provider fails are reported as resolve_incident reports them.
    """
    return _close_incident(incident=incident, to=IncidentStatus.CANCELLED, actor=actor)


def _close_incident(
    *, incident: Incident, to: IncidentStatus, actor: User | None
) -> ClosedIncident:
    incident = transition_incident(incident=incident, to=to, actor=actor)
    stop_escalation_of_incident(incident=incident, actor=actor)  # nobody more is called
    # First, so that nobody else is dialled; it hangs up the call-out's calls it stops.
    stopped = stop_callout_of_incident(incident=incident, actor=actor)
    not_hung_up = list(stopped.not_hung_up) if stopped else []
    tried = [failed.call.pk for failed in not_hung_up]
    live = incident.calls.exclude(state__in=[CallState.TERMINATING, CallState.TERMINATED])
    calls = live.exclude(pk__in=tried).prefetch_related("participants__contact").order_by("id")
    not_hung_up += hang_up_each(calls, actor=actor)
    return ClosedIncident(incident=incident, not_hung_up=not_hung_up)
