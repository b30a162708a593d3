"""TEMPORARY, branch i10-api only. Stand-ins, with the agreed signatures, for stop_callout and
ring_recipient_again, which branch i10-flow writes for real: the API's views and tests call
them through callouts.services. When merging, take i10-flow's and delete this module."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from callouts.errors import CalloutNotRunning
from callouts.models import Callout, CalloutState, Recipient, RecipientStatus, StopReason
from callouts.tasks import pace_callout


@transaction.atomic
def stop_callout(*, callout: Callout, reason: StopReason, actor: User | None) -> Callout:
    """Stop the call-out; those not yet called are not called. Raises CalloutNotRunning."""
    locked = Callout.objects.select_for_update().get(pk=callout.pk)
    if not locked.is_running:
        raise CalloutNotRunning("The call-out has already finished or been stopped.")
    locked.state, locked.stop_reason = CalloutState.STOPPED, reason
    locked.finished_at = timezone.now()
    locked.save(update_fields=["state", "stop_reason", "finished_at"])
    locked.recipients.filter(status=RecipientStatus.PENDING).update(status=RecipientStatus.STOPPED)
    return locked


@transaction.atomic
def ring_recipient_again(*, recipient: Recipient, actor: User | None) -> Recipient:
    """Try `recipient` once more, next. Raises CalloutNotRunning."""
    callout = Callout.objects.select_for_update().get(pk=recipient.callout_id)
    if not callout.is_running:
        raise CalloutNotRunning("The call-out has already finished or been stopped.")
    recipient.status, recipient.next_attempt_at = RecipientStatus.PENDING, None
    recipient.save(update_fields=["status", "next_attempt_at", "updated_at"])
    pace_callout.enqueue(callout.pk)
    return recipient
