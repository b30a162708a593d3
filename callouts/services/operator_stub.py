"""TEMPORARY (branch i10-ui): stand-ins for the operator's two call-out actions.

Branch i10-flow writes the real `stop_callout` and `ring_recipient_again` with these exact
signatures; when the branches are merged this module and its two lines in
callouts/services/__init__.py are deleted in favour of theirs. These do only what the
incident page needs to be built and tested: no calls are hung up, nothing is dialled here.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from callouts import controls
from callouts.errors import CalloutNotRunning
from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import Callout, CalloutState, Recipient, RecipientStatus, StopReason
from callouts.tasks import pace_callout
from incidents.models import TimelineKind
from incidents.timeline import actor_name, add_timeline_entry


@transaction.atomic
def stop_callout(*, callout: Callout, reason: StopReason, actor: User | None) -> Callout:
    """Stop the call-out: nobody still waiting is called. Raises CalloutNotRunning."""
    locked = Callout.objects.select_for_update().get(pk=callout.pk)
    if not controls.can_stop(locked):
        raise CalloutNotRunning("This call-out has already finished or been stopped.")
    locked.state, locked.stop_reason = CalloutState.STOPPED, reason
    locked.finished_at = timezone.now()
    locked.save(update_fields=["state", "stop_reason", "finished_at"])
    locked.recipients.filter(status=RecipientStatus.PENDING).update(
        status=RecipientStatus.STOPPED, next_attempt_at=None
    )
    broadcast_callout(locked)
    add_timeline_entry(
        incident_id=locked.incident_id,
        kind=TimelineKind.ACTION,
        text=f"Call-out stopped by {actor_name(actor)}.",
        actor=actor,
    )
    return locked


@transaction.atomic
def ring_recipient_again(*, recipient: Recipient, actor: User | None) -> Recipient:
    """Put the recipient back in line to be called now. Raises CalloutNotRunning."""
    locked = Recipient.objects.select_for_update().select_related("callout").get(pk=recipient.pk)
    if not locked.callout.is_running:
        raise CalloutNotRunning("This call-out has already finished or been stopped.")
    if not controls.can_ring_again(locked):
        return locked  # Already in line or being called.
    locked.status, locked.next_attempt_at = RecipientStatus.PENDING, None
    locked.save(update_fields=["status", "next_attempt_at", "updated_at"])
    broadcast_recipient(locked)
    broadcast_callout(locked.callout)
    pace_callout.enqueue(locked.callout_id)
    return locked
