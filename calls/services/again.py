"""Ringing people again once their attempt is over: hang-up is not a dead end."""

from django.contrib.auth.models import User
from django.db import transaction

from audit.models import AuditAction
from audit.services import audited, record_action
from calls.controls import WAITING, can_redial, can_ring_again, is_connected
from calls.errors import CannotRingAgain, ProviderFailed
from calls.models import Call, CallMode, Participant, ParticipantState
from calls.services.inviting import invite_to_call
from calls.services.placing import place_call, prepare_calls
from calls.targets import Target
from incidents.models import Incident
from incidents.timeline import actor_name, count_people


@audited
def redial_call(*, call: Call, actor: User | None) -> list[Call]:
    """Ring everyone of an ended call again, on a new call (or, in broadcast mode, one per
    person) for the same incident; returns the new calls.

    The calls and their people are stored before the provider is asked, as when declaring, so
    a refusal leaves a failed call to retry. Raises CannotRingAgain; ProviderFailed after the
    calls are stored, naming the first refusal.
    """
    with transaction.atomic():
        incident = _lock_open_incident(call.incident_id)
        call = Call.objects.select_related("prompt").get(pk=call.pk)
        if not can_redial(call):
            raise CannotRingAgain("Only a call that has ended can ring its people again.")
        busy = _busy_elsewhere(call)
        targets = [
            Target(p.identifier, p.contact)
            for p in call.participants.select_related("contact")
            if p.identifier not in busy
        ]
        if not targets:
            raise CannotRingAgain("Everyone on this call is on another call or ringing already.")
        calls = prepare_calls(
            incident=incident, targets=targets, mode=CallMode(call.mode), prompt=call.prompt
        )
        record_action(
            action=AuditAction.REDIAL,
            target=call,
            actor=actor,
            incident_id=incident.pk,
            summary=f"{actor_name(actor)} rang {count_people(len(targets))} again.",
        )
    return _place_all(calls, actor)


@audited
def ring_participant_again(*, participant: Participant, actor: User | None) -> Call:
    """Ring one person whose attempt is over again: into their call while it runs, or on a new
    call of their own once it has ended; returns the call they ring on.

    Raises CannotRingAgain, CallNotLive, ProviderFailed.
    """
    with transaction.atomic():
        incident = _lock_open_incident(participant.call.incident_id)
        participant = Participant.objects.select_related("call__prompt", "contact").get(
            pk=participant.pk
        )
        if not can_ring_again(participant):
            raise CannotRingAgain(f"{participant} is on the call or ringing already.")
        call = participant.call
        target = Target(participant.identifier, participant.contact)
        if not is_connected(call):
            if participant.identifier in _busy_elsewhere(call):
                raise CannotRingAgain(f"{participant} is on another call or ringing already.")
            (call,) = prepare_calls(
                incident=incident, targets=[target], mode=CallMode(call.mode), prompt=call.prompt
            )
        record_action(
            action=AuditAction.RING_AGAIN,
            target=participant,
            actor=actor,
            incident_id=incident.pk,
            summary=f"{actor_name(actor)} rang {participant} again.",
        )
    if call.pk == participant.call_id:
        invite_to_call(call=call, targets=[target], actor=actor)
        return call
    return place_call(call=call, actor=actor)


def _lock_open_incident(incident_id: int) -> Incident:
    # The same row lock as resolving: a call is never added to an incident closing meanwhile.
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident_id)
    if not incident.is_open:
        raise CannotRingAgain(
            f"The incident is {incident.get_status_display().lower()}: nobody is rung any more."
        )
    return incident


def _busy_elsewhere(call: Call) -> set[str]:
    """Who is ringing or on another call of the incident: ringing them again would ring twice."""
    return set(
        Participant.objects.filter(
            call__incident_id=call.incident_id, state__in=(*WAITING, ParticipantState.JOINED)
        )
        .exclude(call=call)
        .values_list("identifier", flat=True)
    )


def _place_all(calls: list[Call], actor: User | None) -> list[Call]:
    failures: list[ProviderFailed] = []
    placed = []
    for call in calls:
        try:
            placed.append(place_call(call=call, actor=actor))
        except ProviderFailed as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
    return placed
