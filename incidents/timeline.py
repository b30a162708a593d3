"""The incident log: every entry is also pushed to the incident's dashboards."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.models import User
from django.utils import timezone

from incidents.events import broadcast_incident_event, timeline_payload
from incidents.models import TimelineEntry, TimelineKind

# Entries added inside batched_timeline(), written when it ends.
_unwritten: ContextVar[list[TimelineEntry] | None] = ContextVar("unwritten_timeline", default=None)


def add_timeline_entry(
    *, incident_id: int, kind: TimelineKind, text: str, actor: User | None = None
) -> None:
    """Append one line to the incident's log and announce it after commit."""
    text = text[:1].upper() + text[1:500]  # "the system played..." starts a sentence
    entry = TimelineEntry(
        incident_id=incident_id, at=timezone.now(), kind=kind, text=text, actor=actor
    )
    unwritten = _unwritten.get()
    if unwritten is not None:
        unwritten.append(entry)
        return
    entry.save()
    _announce(entry)


@contextmanager
def batched_timeline() -> Iterator[None]:
    """Write the entries added in this block in one INSERT as it ends, then announce them.

    For hot paths (a batch of provider events adds a line per event). Nothing is written if
    the block raises.
    """
    if _unwritten.get() is not None:
        yield  # The outer block writes.
        return
    unwritten: list[TimelineEntry] = []
    token = _unwritten.set(unwritten)
    try:
        yield
    finally:
        _unwritten.reset(token)
    TimelineEntry.objects.bulk_create(unwritten)  # sets each entry's id
    for entry in unwritten:
        _announce(entry)


def _announce(entry: TimelineEntry) -> None:
    broadcast_incident_event(
        incident_id=entry.incident_id, kind="timeline", data=timeline_payload(entry)
    )


def actor_name(actor: User | None) -> str:
    return actor.get_username() if actor is not None else "the system"


def count_people(count: int) -> str:
    """ "1 person", "3 people": how the timeline counts whom it rings."""
    return f"{count} person" if count == 1 else f"{count} people"


def names(participants: Iterable[object]) -> str:
    """ "Ada", "Ada and Grace", "Ada, Grace and Alan": people as the timeline names them."""
    listed = [str(p) for p in participants]
    if len(listed) < 2:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"
