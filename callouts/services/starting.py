"""Starting a call-out: its recipients are stored at once; the dialling is background work."""

from django.db import transaction

from callouts.models import Callout, Recipient
from callouts.policy import Rules, check_quorum, check_recipient_count
from callouts.tasks import pace_callout
from calls.keypad import default_keypad
from calls.models import AudioPrompt
from calls.targets import Target, require_targets
from incidents.models import Incident


def check_callout(*, targets: list[Target], quorum: int | None) -> int | None:
    """Refuse a call-out that cannot work before anything is stored; return the quorum.

    Raises NothingToCall, TooManyRecipients, InvalidPolicy."""
    require_targets(targets)
    check_recipient_count(len(targets))
    return check_quorum(quorum, len(targets))


@transaction.atomic
def start_callout(
    *,
    incident: Incident,
    targets: list[Target],
    prompt: AudioPrompt | None,
    rules: Rules,
    quorum: int | None,
) -> Callout:
    """Store the call-out of `incident` and its recipients, and enqueue its pacing (in this
    transaction: both are kept, or neither). Raises what check_callout raises."""
    quorum = check_callout(targets=targets, quorum=quorum)
    callout = Callout.objects.create(
        incident=incident,
        prompt=prompt,
        policy=rules.preset,
        max_attempts=rules.max_attempts,
        retry_wait_seconds=rules.retry_wait_seconds,
        retry_outcomes=list(rules.retry_outcomes),
        keypad=prompt.keypad if prompt is not None else default_keypad(),
        quorum=quorum,
    )
    Recipient.objects.bulk_create(
        (
            Recipient(
                callout=callout,
                position=position,
                contact=target.contact,
                identifier=target.identifier,
                name=target.contact.name if target.contact else "",
            )
            for position, target in enumerate(targets, start=1)
        ),
        batch_size=1000,
    )
    pace_callout.enqueue(callout.pk)
    return callout
