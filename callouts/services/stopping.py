"""Stopping a call-out: nobody else is called, and the calls still ringing are hung up.

Lock order (as the applier's): the call-out's row first, then its attempts. An attempt locked
by someone else at that moment (its call's events being applied, or its create-call being
recorded) is skipped rather than waited for: waiting could deadlock with an applier that holds
it and waits for the call-out's row (the quorum count). Its own path settles it; its call, if
ringing or live, is still hung up here.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from callouts.errors import CalloutNotRunning
from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import (
    REACHED_OUTCOMES,
    Attempt,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
    StopReason,
)
from calls.models import Call, CallState
from calls.services.announcements import announce
from calls.services.hanging_up import NotHungUp, hang_up_each
from calls.services.welcome import RunAside
from incidents.events import batched_broadcasts
from incidents.models import Incident, TimelineKind
from incidents.timeline import actor_name, add_timeline_entry, count_people
from webhooks.services.emitting import emit_callout_finished


@dataclass(frozen=True)
class StoppedCallout:
    """A stopped call-out, and the calls of it that could not be hung up (retry each)."""

    callout: Callout
    waiting: int  # people still waiting to be called, who now will not be
    not_hung_up: list[NotHungUp]


@dataclass(frozen=True)
class _Stop:
    callout: Callout
    waiting: int
    call_ids: list[int]  # ringing or live, to hang up once the stop is committed


@audited
def stop_callout(*, callout: Callout, reason: StopReason, actor: User | None) -> StoppedCallout:
    """Stop `callout` for `reason`: people still waiting are not called, attempts not placed
    yet are cancelled, and calls ringing or live (unless answered by key) are hung up after
    the commit, each tried. Raises CalloutNotRunning.

    A hang-up the provider fails leaves the call-out stopped and that call running: it is in
    `not_hung_up` and in the timeline, and its own hang-up can be tried again.
    """
    stop = _stop_in_transaction(callout_id=callout.pk, reason=reason, actor=actor)
    return StoppedCallout(
        callout=stop.callout,
        waiting=stop.waiting,
        not_hung_up=_hang_up(stop.call_ids, actor=actor),
    )


def stop_callout_of_incident(*, incident: Incident, actor: User | None) -> StoppedCallout | None:
    """Stop the incident's call-out, if it is running, because the incident closed (see
    stop_callout); None when there was nothing to stop."""
    callout = Callout.objects.filter(incident=incident, state=CalloutState.RUNNING).first()
    if callout is None:
        return None
    try:
        return stop_callout(callout=callout, reason=StopReason.INCIDENT_CLOSED, actor=actor)
    except CalloutNotRunning:
        return None  # it finished or was stopped meanwhile


def stop_callout_after_commit(*, callout: Callout, reason: StopReason, run_aside: RunAside) -> None:
    """Inside the caller's transaction (the applier's: a quorum reached), stop `callout` as
    stop_callout does; the hang-ups are handed to `run_aside` once it commits, and a hang-up
    the provider fails is told in the timeline. Raises CalloutNotRunning."""
    stop = _stop(callout_id=callout.pk, reason=reason, actor=None)

    def hang_up() -> None:
        _hang_up(stop.call_ids, actor=None)  # failures are told in the timeline

    transaction.on_commit(lambda: run_aside(hang_up))


@transaction.atomic
@batched_broadcasts()
def _stop_in_transaction(*, callout_id: int, reason: StopReason, actor: User | None) -> _Stop:
    return _stop(callout_id=callout_id, reason=reason, actor=actor)


def _stop(*, callout_id: int, reason: StopReason, actor: User | None) -> _Stop:
    callout = Callout.objects.select_for_update(no_key=True).get(pk=callout_id)
    if not callout.is_running:
        how = "finished" if callout.state == CalloutState.FINISHED else "been stopped"
        raise CalloutNotRunning(f"The call-out has already {how}.")
    now = timezone.now()
    callout.state, callout.stop_reason, callout.finished_at = CalloutState.STOPPED, reason, now
    callout.save(update_fields=["state", "stop_reason", "finished_at"])
    waiting = callout.recipients.filter(status=RecipientStatus.PENDING).update(
        status=RecipientStatus.STOPPED, next_attempt_at=None, updated_at=now
    )
    open_attempts = list(
        Attempt.objects.select_for_update(no_key=True, skip_locked=True, of=("self",))
        .select_related("call")
        .filter(recipient__callout=callout, ended_at__isnull=True, outcome="")
    )
    unplaced = [a for a in open_attempts if a.call.state == CallState.PENDING]
    _cancel(open_attempts, unplaced, now)
    waiting += len(unplaced)
    call_ids = list(
        Call.objects.filter(
            attempt__recipient__callout=callout,
            attempt__ended_at__isnull=True,
            state__in=[CallState.ESTABLISHING, CallState.ESTABLISHED],
        )
        .exclude(attempt__outcome__in=REACHED_OUTCOMES)  # answered: their confirmation plays on
        .values_list("pk", flat=True)
    )
    said = _stopped_text(callout, actor, waiting, len(call_ids))
    add_timeline_entry(
        incident_id=callout.incident_id, kind=TimelineKind.STATUS, text=said, actor=actor
    )
    # Nothing when the system stops it (a quorum) or an incident's closing does (recorded).
    record_action(
        action=AuditAction.STOP_CALLOUT,
        target=callout,
        actor=actor,
        incident_id=callout.incident_id,
        summary=said,
    )
    broadcast_callout(callout)
    emit_callout_finished(callout=callout)
    for recipient in Recipient.objects.select_related("callout").filter(
        pk__in={a.recipient_id for a in open_attempts}
    ):
        broadcast_recipient(recipient)
    return _Stop(callout=callout, waiting=waiting, call_ids=call_ids)


def _cancel(open_attempts: list[Attempt], unplaced: list[Attempt], now: datetime) -> None:
    """Cancel the attempts nobody has answered by key. One not placed yet ends now, with its
    call (never placed, so it ends here, as hang_up_call ends one): the placing task skips an
    ended attempt. One ringing or live ends when its call does (it holds its caller number's
    slot until then); settling keeps the outcome recorded here."""
    unplaced_ids = {a.pk for a in unplaced}
    Attempt.objects.filter(pk__in=unplaced_ids).update(outcome=Outcome.CANCELLED, ended_at=now)
    Attempt.objects.filter(pk__in={a.pk for a in open_attempts} - unplaced_ids).update(
        outcome=Outcome.CANCELLED
    )
    Call.objects.filter(pk__in=[a.call_id for a in unplaced], state=CallState.PENDING).update(
        state=CallState.TERMINATED, ended_at=now, updated_at=now
    )
    for call in Call.objects.filter(pk__in=[a.call_id for a in unplaced]):
        announce(call)
    Recipient.objects.filter(
        pk__in=[a.recipient_id for a in open_attempts], status=RecipientStatus.DIALLING
    ).update(status=RecipientStatus.STOPPED, updated_at=now)


def _stopped_text(callout: Callout, actor: User | None, waiting: int, ringing: int) -> str:
    why: dict[str, str] = {
        StopReason.QUORUM: f"{count_people(callout.quorum or 0)} acknowledged, its quorum",
        StopReason.OPERATOR: "by hand",
        StopReason.INCIDENT_CLOSED: "the incident was closed",
    }
    text = f"{actor_name(actor)} stopped the call-out ({why[callout.stop_reason]}): "
    if waiting:
        verb = "was" if waiting == 1 else "were"
        text += f"{count_people(waiting)} still waiting {verb} not called"
    else:
        text += "nobody was still waiting to be called"
    if ringing:
        calls = "call" if ringing == 1 else "calls"
        text += f"; hanging up {ringing} {calls} still ringing or on the line"
    return text + "."


def _hang_up(call_ids: list[int], *, actor: User | None) -> list[NotHungUp]:
    # Read again after the commit: someone may have answered by key meanwhile.
    calls = (
        Call.objects.filter(pk__in=call_ids)
        .exclude(attempt__outcome__in=REACHED_OUTCOMES)
        .prefetch_related("participants__contact")
        .order_by("id")
    )
    return hang_up_each(calls, actor=actor, said="Hung up: the call-out stopped.")
