"""Ringing people into a running call, at most once each, whatever dies when.

An invitation is written down before it is sent: the Participant row, in state INVITED, with
the Repeatability-Request-ID and -First-Sent its requests carry (Participant.invite_request_id,
invite_first_sent_at), committed before the provider hears of it. Every later send of that
invitation (an operator's retry, the keypad's "join the bridge" pressed again, an escalation
step run again, the resend sweep after a worker was killed mid-request) carries the same pair
while the provider still remembers it (REPEATABILITY_WINDOW), so the provider rings once. An
invitation is confirmed, and never sent again, by the provider's 2xx answer or by any callback
about the person (calls.services.applying moves them on from INVITED).
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from calls.controls import OVER, is_connected
from calls.errors import CallNotLive, ProviderFailed
from calls.models import Call, Participant, ParticipantState
from calls.provider import provider_client
from calls.provider_types import ProviderError
from calls.services.announcements import announce, save_and_announce
from calls.services.placing import REPEATABILITY_WINDOW
from calls.services.ringing import start_ringing
from calls.targets import Target, require_targets
from incidents.events import batched_broadcasts
from incidents.models import TimelineKind
from incidents.timeline import actor_name, add_timeline_entry, names

# An invitation sent this long ago and still unanswered is sent again by the sweep: longer than
# a request with its retries takes, so one still in flight is left to finish.
RESEND_AFTER = timedelta(seconds=30)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invitation:
    """What invite_to_call did: who it rang, who it left alone because they are already on the
    call or ringing, whom the provider refused (their `last_error` says why), and whose
    invitation it did not confirm (sent again by the sweep, with the same request id)."""

    invited: list[Participant]
    already_there: list[Participant]
    failed: list[Participant] = field(default_factory=list)
    unconfirmed: list[Participant] = field(default_factory=list)

    @property
    def summary(self) -> str:
        parts = []
        if self.invited:
            parts.append(f"Ringing {names(self.invited)}.")
        if self.already_there:
            verb = "is" if len(self.already_there) == 1 else "are"
            parts.append(f"{names(self.already_there)} {verb} already on the call or ringing.")
        if self.failed:
            parts.append(f"The provider refused to ring {names(self.failed)}.")
        if self.unconfirmed:
            parts.append(
                f"The provider did not confirm ringing {names(self.unconfirmed)}; trying again."
            )
        return " ".join(parts)


@dataclass(frozen=True)
class _Plan:
    to_send: list[Participant]
    already_there: list[Participant]


# What sending one invitation came to: None (accepted), or why not.
_Outcome = ProviderError | ValueError | None


@audited
def invite_to_call(*, call: Call, targets: list[Target], actor: User | None) -> Invitation:
    """Ring `targets` into the running call; people already on it or ringing are skipped, and
    the answer says who was. Each invitation is committed before it is sent; one still waiting
    for the provider's answer is sent again with its request id. Raises NothingToCall when
    `targets` is empty, CallNotLive, ProviderFailed (nobody was rung; who was refused is
    committed first).
    """
    require_targets(targets)
    plan = _record_intent(call=call, targets=targets, actor=actor)
    outcomes = {p.pk: _send(call.provider_call_id, p) for p in plan.to_send}
    invitation = _record_outcomes(outcomes=outcomes, already_there=plan.already_there)
    if plan.to_send and not invitation.invited:
        reasons = {str(o.message if isinstance(o, ProviderError) else o) for o in outcomes.values()}
        # Not confirmed is not refused: the sweep sends those again, so the answer says so.
        again = " (sending the invitation again)" if invitation.unconfirmed else ""
        raise ProviderFailed(
            f"The provider did not invite them{again}: {'; '.join(sorted(reasons))}"
        )
    return invitation


@transaction.atomic
@batched_broadcasts()
def _record_intent(*, call: Call, targets: list[Target], actor: User | None) -> _Plan:
    # The call's row lock: two invitations of one person at once make one intent, one pair.
    call = Call.objects.select_for_update(no_key=True).get(pk=call.pk)
    if not is_connected(call):
        raise CallNotLive("The call is not connected, so it cannot be changed.")
    targets = list({t.identifier: t for t in targets}.values())  # each person once
    now = timezone.now()
    existing = {
        p.identifier: p
        for p in call.participants.select_related("contact", "call").filter(
            identifier__in={t.identifier for t in targets}
        )
    }
    to_send, already_there = [], []
    for target in targets:
        participant = existing.get(target.identifier)
        if participant is not None and participant.state not in OVER:
            if not _is_pending(participant):
                already_there.append(participant)
                continue
            _repeat_or_renew(participant, now)  # unanswered: send it again
        else:
            participant = participant or Participant(
                call=call, identifier=target.identifier, contact=target.contact
            )
            _new_invitation(participant, now)
        participant.invite_sent_at = now
        participant.save()
        announce(participant)
        to_send.append(participant)
    said = f"{actor_name(actor)} invited {names(to_send)}." if to_send else ""
    if said:
        add_timeline_entry(
            incident_id=call.incident_id, kind=TimelineKind.ACTION, text=said, actor=actor
        )
    summary = said or Invitation([], already_there).summary
    record_action(
        action=AuditAction.INVITE,
        target=call,
        actor=actor,
        incident_id=call.incident_id,
        summary=summary,
    )
    return _Plan(to_send=to_send, already_there=already_there)


def _is_pending(participant: Participant) -> bool:
    """Invited into the call, and neither the provider's answer nor a callback has said more."""
    return (
        participant.state == ParticipantState.INVITED and participant.invite_request_id is not None
    )


def _new_invitation(participant: Participant, now: datetime) -> None:
    participant.state = ParticipantState.INVITED
    participant.joined_at = participant.left_at = None
    participant.last_error = ""
    participant.invite_request_id = uuid.uuid4()
    participant.invite_first_sent_at = now


def _repeat_or_renew(participant: Participant, now: datetime) -> None:
    first_sent = participant.invite_first_sent_at
    if first_sent is None or now - first_sent > REPEATABILITY_WINDOW:
        # The provider has forgotten the id (and answers 412 to it): a new request.
        _new_invitation(participant, now)


def _send(provider_call_id: str, participant: Participant) -> _Outcome:
    """Send `participant`'s stored invitation; None if the provider took it. Outside any
    transaction: callbacks it triggers may arrive before it returns."""
    try:
        provider_client().add_participant(
            provider_call_id,
            target=participant.identifier,
            # Derived from the id: a resend's body is the same, as the provider requires.
            operation_context=f"invite:{participant.invite_request_id}",
            caller_id=settings.ACS_CALLER_ID,
            request_id=participant.invite_request_id,
            first_sent=participant.invite_first_sent_at,
        )
    except (ProviderError, ValueError) as exc:
        return exc
    return None


def _refused(outcome: _Outcome) -> bool:
    """Whether the provider certainly did not ring them: a definite refusal, or a target the
    client would not send. A transient failure may have rung them: that one is sent again."""
    if isinstance(outcome, ProviderError):
        return not outcome.retryable
    return outcome is not None


def _error_text(outcome: ProviderError | ValueError) -> str:
    if isinstance(outcome, ProviderError):
        return f"{outcome.code or outcome.status or 'error'}: {outcome.message}"[:500]
    return str(outcome)[:500]


@transaction.atomic
@batched_broadcasts()
def _record_outcomes(
    *, outcomes: dict[int, _Outcome], already_there: list[Participant]
) -> Invitation:
    locked = {
        p.pk: p
        for p in Participant.objects.select_for_update(no_key=True, of=("self",))
        .select_related("contact", "call")
        .filter(pk__in=outcomes)
    }
    invited, failed, unconfirmed = [], [], []
    for pk, outcome in outcomes.items():
        participant = locked[pk]
        if outcome is None:
            invited.append(participant)
        elif _refused(outcome):
            _fail(participant, _error_text(outcome), "the provider refused the invitation")
            failed.append(participant)
        else:
            unconfirmed.append(participant)
            logger.warning("Invitation of participant %s not confirmed: %s", pk, outcome)
    # The provider dials them straight away (a callback may have moved them on already).
    start_ringing(invited)
    return Invitation(invited, already_there, failed, unconfirmed)


def _fail(participant: Participant, error: str, why: str) -> None:
    if participant.state != ParticipantState.INVITED:
        return  # a callback told more meanwhile
    participant.state = ParticipantState.FAILED
    participant.last_error = error
    says = f"{participant} was not reached: {why}" + (f" ({error})." if error else ".")
    save_and_announce(participant, "state", "last_error", says=says, kind=TimelineKind.ERROR)


def resend_pending_invitations(*, now: datetime | None = None) -> int:
    """Send again every invitation committed but never answered by the provider nor told of by
    a callback (its sender died, or its request failed on the way), with its own request id
    while the provider remembers it; after that, the person counts as not reached. Returns how
    many were sent again. Safe to run from several processes: each is claimed under its lock.
    """
    now = now or timezone.now()
    stale = Participant.objects.filter(
        state=ParticipantState.INVITED,
        invite_request_id__isnull=False,
        invite_sent_at__lt=now - RESEND_AFTER,
    ).values_list("pk", flat=True)
    resent = 0
    for pk in list(stale):
        claimed = _claim_resend(pk, now)
        if claimed is None:
            continue
        outcome = _send(claimed.call.provider_call_id, claimed)
        _record_outcomes(outcomes={pk: outcome}, already_there=[])
        resent += 1
    return resent


@transaction.atomic
@batched_broadcasts()
def _claim_resend(pk: int, now: datetime) -> Participant | None:
    participant = (
        Participant.objects.select_for_update(no_key=True, of=("self",))
        .select_related("call", "contact")
        .filter(pk=pk, state=ParticipantState.INVITED, invite_sent_at__lt=now - RESEND_AFTER)
        .first()
    )
    if participant is None or participant.invite_first_sent_at is None:
        return None  # another sweep took it, or a callback told more
    if now - participant.invite_first_sent_at > REPEATABILITY_WINDOW:
        # A new request id could ring them a second time: the invitation is given up.
        _fail(participant, participant.last_error, "the provider never confirmed the invitation")
        return None
    if not is_connected(participant.call):
        return None  # the call's own end fails them (calls.services.applying)
    participant.invite_sent_at = now
    participant.save(update_fields=["invite_sent_at", "updated_at"])
    return participant
