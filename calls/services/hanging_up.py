"""Hanging up several calls at once (an incident closing, a call-out stopping): each is tried."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User

from calls.errors import ProviderFailed
from calls.models import Call
from calls.services.actions import hang_up_call
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry, names


@dataclass(frozen=True)
class NotHungUp:
    """A call still running: the provider did not hang it up."""

    call: Call
    message: str  # names the people on the call and gives the provider's reason


def hang_up_each(calls: Iterable[Call], *, actor: User | None, said: str = "") -> list[NotHungUp]:
    """Hang up every call of `calls` (the timeline says `said` of each, or that `actor` hung it
    up), one the provider fails not keeping the others ringing people; return those it failed
    (each also in the timeline, to be hung up again)."""
    not_hung_up = []
    for call in calls:
        try:
            hang_up_call(call=call, actor=actor, said=said)
        except ProviderFailed as exc:
            not_hung_up.append(_record_not_hung_up(call=call, error=exc, actor=actor))
    return not_hung_up


def _record_not_hung_up(*, call: Call, error: ProviderFailed, actor: User | None) -> NotHungUp:
    people = names(call.participants.select_related("contact")) or "nobody yet"
    failed = NotHungUp(call=call, message=f"The call to {people} is still running: {error.message}")
    add_timeline_entry(
        incident_id=call.incident_id,
        kind=TimelineKind.ERROR,
        text=f"{failed.message} Hang it up again from its controls.",
        actor=actor,
    )
    return failed
