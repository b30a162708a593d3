"""The operator's "ring again" for one person of a call-out: one more attempt, now."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audited, record_action
from callouts.errors import CannotRingRecipientAgain
from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import Callout, CalloutState, Recipient, RecipientStatus
from callouts.tasks import pace_callout
from incidents.events import batched_broadcasts
from incidents.models import Incident, TimelineKind
from incidents.timeline import actor_name, add_timeline_entry


@audited
@transaction.atomic
@batched_broadcasts()
def ring_recipient_again(*, recipient: Recipient, actor: User | None) -> Recipient:
    """Have `recipient` called once more, as soon as a caller number is free: they wait to be
    called again (due now), allowed one attempt beyond the policy's (tries the policy still
    had left still apply), and a finished call-out runs again for them.

    Raises CannotRingRecipientAgain while they are being called or still wait their first
    turn, once the call-out was stopped, or once its incident closed."""
    # The incident's row first, as closing it locks it: nobody is rung on a closing incident.
    incident = Incident.objects.select_for_update(no_key=True).get(callout__recipients=recipient.pk)
    if not incident.is_open:
        raise CannotRingRecipientAgain(
            f"The incident is {incident.get_status_display().lower()}: nobody is rung any more."
        )
    callout = Callout.objects.select_for_update(no_key=True).get(incident=incident)
    if callout.state == CalloutState.STOPPED:
        raise CannotRingRecipientAgain(
            f"The call-out was stopped ({callout.get_stop_reason_display().lower()}): "
            "nobody is rung any more. Declare a new incident to call people again."
        )
    recipient = Recipient.objects.select_for_update(no_key=True).get(pk=recipient.pk)
    _check_can_ring(recipient)
    now = timezone.now()
    # Settling retries only while attempts_made is under max_attempts: past it, this one try.
    recipient.status, recipient.next_attempt_at = RecipientStatus.PENDING, now
    recipient.save(update_fields=["status", "next_attempt_at", "updated_at"])
    if callout.state == CalloutState.FINISHED:
        callout.state, callout.finished_at = CalloutState.RUNNING, None
        callout.save(update_fields=["state", "finished_at"])
    said = (
        f"{actor_name(actor)} asked to ring {recipient} again "
        f"(attempt {recipient.attempts_made + 1})."
    )
    add_timeline_entry(incident_id=incident.pk, kind=TimelineKind.ACTION, text=said, actor=actor)
    record_action(
        action=AuditAction.RING_AGAIN,
        target=recipient,
        actor=actor,
        incident_id=incident.pk,
        summary=said,
    )
    broadcast_recipient(recipient)
    broadcast_callout(callout)
    pace_callout.enqueue(callout.pk)  # in this transaction: both are kept, or neither
    return recipient


def _check_can_ring(recipient: Recipient) -> None:
    if recipient.status == RecipientStatus.DIALLING:
        raise CannotRingRecipientAgain(f"{recipient} is being called right now.")
    if recipient.status == RecipientStatus.PENDING and recipient.attempts_made == 0:
        raise CannotRingRecipientAgain(
            f"{recipient} has not been called yet: they wait their turn."
        )
