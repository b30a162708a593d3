"""Adding people to an incident's call-out (an escalation's next step): they are stored at
once, after the people already on it, and the pacer dials them as it dials everyone."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from callouts.errors import CannotExtendCallout
from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import Callout, CalloutState, Recipient
from callouts.policy import Rules, check_recipient_count
from callouts.services.pacing import require_caller_number
from callouts.services.starting import start_callout
from callouts.tasks import pace_callout
from calls.models import AudioPrompt
from calls.targets import Target, require_targets
from incidents.events import batched_broadcasts
from incidents.models import Incident


@dataclass(frozen=True)
class Extended:
    """The call-out, and who was added to it (people already on it are not added again)."""

    callout: Callout
    added: list[Recipient]


@transaction.atomic
@batched_broadcasts()
def extend_callout(
    *, incident: Incident, targets: list[Target], prompt: AudioPrompt | None, rules: Rules
) -> Extended:
    """Add `targets` to the incident's call-out, skipping people already on it; a finished
    call-out runs again for them. With no call-out yet, start one (with `prompt` and `rules`,
    no quorum). The pacing is enqueued in this transaction.

    Raises NothingToCall, TooManyRecipients, NoCallerNumber, and CannotExtendCallout once the
    incident closed or its call-out was stopped."""
    require_targets(targets)
    # The incident's row first, as closing it locks it: nobody is added to a closing incident.
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if not incident.is_open:
        raise CannotExtendCallout(
            f"The incident is {incident.get_status_display().lower()}: nobody is rung any more."
        )
    callout = Callout.objects.select_for_update(no_key=True).filter(incident=incident).first()
    if callout is None:
        callout = start_callout(
            incident=incident, targets=targets, prompt=prompt, rules=rules, quorum=None
        )
        broadcast_callout(callout)  # a page without a call-out section reloads to show it
        return Extended(callout=callout, added=list(callout.recipients.order_by("position")))
    if callout.state == CalloutState.STOPPED:
        raise CannotExtendCallout(
            f"The call-out was stopped ({callout.get_stop_reason_display().lower()}): "
            "nobody is added to it."
        )
    require_caller_number()
    return Extended(callout=callout, added=_add(callout, targets))


def _add(callout: Callout, targets: list[Target]) -> list[Recipient]:
    known = set(callout.recipients.values_list("identifier", flat=True))
    new = [t for t in targets if t.identifier not in known]
    check_recipient_count(len(known) + len(new))
    last = callout.recipients.aggregate(last=Max("position"))["last"] or 0
    added = Recipient.objects.bulk_create(
        Recipient(
            callout=callout,
            position=last + offset,
            contact=target.contact,
            identifier=target.identifier,
            name=target.contact.name if target.contact else "",
        )
        for offset, target in enumerate(new, start=1)
    )
    if added and callout.state == CalloutState.FINISHED:
        callout.state, callout.finished_at = CalloutState.RUNNING, None
        callout.save(update_fields=["state", "finished_at"])
    for recipient in added:
        broadcast_recipient(recipient)
    broadcast_callout(callout)
    pace_callout.enqueue(callout.pk)  # in this transaction: both are kept, or neither
    return added
