"""Reading reminders: their runs and the confirmations of each (one row per person called)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from callouts.models import Attempt, Outcome, Recipient, RecipientStatus
from reminders.models import Reminder, ReminderRun


class Answer:
    """What a person's answer to a reminder is, as listed and exported."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"  # the appointment (key 2 of the reminder keypad)
    CALL_BACK = "call_back"
    NOT_REACHED = "not_reached"
    WAITING = "waiting"
    CALLING = "calling"


ANSWER_LABELS = {
    Answer.CONFIRMED: "Confirmed",
    Answer.CANCELLED: "Cancelled",
    Answer.CALL_BACK: "Asked to be called back",
    Answer.NOT_REACHED: "Not reached",
    Answer.WAITING: "Waiting to be called",
    Answer.CALLING: "Being called",
}


@dataclass(frozen=True)
class Confirmation:
    run: ReminderRun
    name: str
    identifier: str
    answer: str
    attempts: int
    next_attempt_at: datetime | None
    answered_at: datetime | None

    @property
    def answer_label(self) -> str:
        return ANSWER_LABELS[self.answer]


def answer_of(recipient: Recipient, last: Attempt | None) -> str:
    """The answer a recipient's status and last attempt say."""
    if recipient.status == RecipientStatus.ACKNOWLEDGED:
        return Answer.CONFIRMED
    if recipient.status == RecipientStatus.DECLINED:
        return Answer.CANCELLED
    if last is not None and last.outcome == Outcome.CALL_BACK:
        return Answer.CALL_BACK
    if recipient.status == RecipientStatus.DIALLING:
        return Answer.CALLING
    if recipient.status == RecipientStatus.PENDING:
        return Answer.WAITING
    return Answer.NOT_REACHED


def runs_of(reminder: Reminder) -> QuerySet[ReminderRun]:
    return reminder.runs.select_related("incident", "incident__callout").order_by("-occurrence")


def confirmations(reminder: Reminder) -> Iterator[Confirmation]:
    """Every person of every run of `reminder`, newest run first, in calling order; read a
    run at a time (the export streams them)."""
    for run in runs_of(reminder):
        recipients = (
            Recipient.objects.filter(callout__incident_id=run.incident_id)
            .order_by("position")
            .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("number")))
        )
        for recipient in recipients.iterator(chunk_size=500):
            tries = list(recipient.attempts.all())
            last = tries[-1] if tries else None
            answer = answer_of(recipient, last)
            answered = last.ended_at if last and answer != Answer.WAITING else None
            yield Confirmation(
                run=run,
                name=recipient.name,
                identifier=recipient.identifier,
                answer=answer,
                attempts=recipient.attempts_made,
                next_attempt_at=recipient.next_attempt_at,
                answered_at=answered,
            )


def answer_counts(reminder: Reminder) -> dict[str, int]:
    counts = dict.fromkeys(ANSWER_LABELS, 0)
    for row in confirmations(reminder):
        counts[row.answer] += 1
    return counts
