"""Moves a call-out on the browser tests' server the way the dialling engine records it.

Run inside that server's environment (`LiveServer.manage("shell", "-c", ...)`), so its rows
change and its broadcasts go through the server's Redis to the browser. Each step is one
transaction: recipients and their attempts (each with its call and its one person) change,
then the recipients' rows, the attempts' calls and the call-out's counts are broadcast.
"""

from django.db import transaction
from django.utils import timezone

from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import (
    Attempt,
    CallerNumber,
    Callout,
    CalloutState,
    Outcome,
    Recipient,
    RecipientStatus,
)
from calls.models import Call, CallMode, CallState, Participant, ParticipantState
from calls.targets import Target
from contacts.models import Contact
from incidents.events import batched_broadcasts, broadcast_call, broadcast_participant
from incidents.services import declare_incident

FIRST = ["Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen"]
STATUS_OF = {
    Outcome.ACKNOWLEDGED: RecipientStatus.ACKNOWLEDGED,
    Outcome.DECLINED_BY_KEY: RecipientStatus.DECLINED,
    Outcome.NO_ANSWER: RecipientStatus.NOT_REACHED,
    Outcome.FAILED: RecipientStatus.FAILED,
}


def create(title: str, people: int) -> None:
    """Declare an incident whose call-out rings `people` contacts; prints its id."""
    targets = []
    for n in range(people):
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n + 1}"
        contact, _ = Contact.objects.get_or_create(
            phone_number=f"+1425700{n:04d}", defaults={"name": name}
        )
        targets.append(Target(contact.phone_number, contact))
    incident = declare_incident(
        title=title, targets=targets, mode=CallMode.BROADCAST, declared_by=None
    )
    print(incident.pk)  # noqa: T201 (read by the test)


def dial(incident_id: int, count: int) -> None:
    """The next `count` people waiting are called: an attempt each, its call ringing."""
    caller, _ = CallerNumber.objects.get_or_create(number="+14255550100")
    now = timezone.now()
    with transaction.atomic(), batched_broadcasts():
        callout = Callout.objects.select_for_update().get(incident_id=incident_id)
        waiting = callout.recipients.filter(status=RecipientStatus.PENDING).order_by("position")
        for recipient in waiting[:count]:
            call = Call.objects.create(
                incident_id=incident_id, mode=CallMode.BROADCAST, state=CallState.ESTABLISHING
            )
            person = Participant.objects.create(
                call=call, identifier=recipient.identifier, state=ParticipantState.RINGING
            )
            Attempt.objects.create(
                recipient=recipient,
                number=recipient.attempts_made + 1,
                call=call,
                caller_number=caller,
                scheduled_at=now,
                claimed_at=now,
            )
            recipient.status = RecipientStatus.DIALLING
            recipient.attempts_made += 1
            recipient.save(update_fields=["status", "attempts_made", "updated_at"])
            broadcast_call(call)  # the page must not draw a card for it
            broadcast_participant(person)
            broadcast_recipient(recipient)
        broadcast_callout(callout)


def settle(incident_id: int, outcome: str, count: int | None = None) -> None:
    """`count` of the people being called (all of them: None) end their attempt so."""
    now = timezone.now()
    with transaction.atomic(), batched_broadcasts():
        callout = Callout.objects.select_for_update().get(incident_id=incident_id)
        ringing = callout.recipients.filter(status=RecipientStatus.DIALLING).order_by("position")
        for recipient in ringing[:count]:
            attempt = recipient.attempts.get(ended_at__isnull=True)
            attempt.outcome = outcome
            attempt.answered_at = now if outcome != Outcome.NO_ANSWER else None
            attempt.ended_at = now
            attempt.keys = {Outcome.ACKNOWLEDGED: "1", Outcome.DECLINED_BY_KEY: "2"}.get(
                Outcome(outcome), ""
            )
            attempt.save()
            Call.objects.filter(pk=attempt.call_id).update(state=CallState.TERMINATED)
            recipient.status = STATUS_OF[Outcome(outcome)]
            recipient.save(update_fields=["status", "updated_at"])
            broadcast_recipient(Recipient.objects.get(pk=recipient.pk))
        broadcast_callout(callout)


def finish(incident_id: int) -> None:
    """Everyone left is called and acknowledges; the call-out is over."""
    waiting = Recipient.objects.filter(
        callout__incident_id=incident_id, status=RecipientStatus.PENDING
    ).count()
    dial(incident_id, waiting)
    settle(incident_id, Outcome.ACKNOWLEDGED)
    with transaction.atomic():
        callout = Callout.objects.select_for_update().get(incident_id=incident_id)
        callout.state, callout.finished_at = CalloutState.FINISHED, timezone.now()
        callout.save(update_fields=["state", "finished_at"])
        broadcast_callout(callout)
