"""What of a provider callback the database can store, decided in one place for both dialects.

Provider data is validated, not trusted. Per field:
- text the database refuses (a NUL character, which PostgreSQL cannot hold in text or jsonb; a
  lone UTF-16 surrogate, which no UTF-8 database encodes) and numbers JSON cannot carry (1e400
  reads as infinity) refuse the callback;
- an identifier longer than its column (a call leg, a participant's identifier or provider id)
  refuses the callback: cut short it would name someone else, or no one;
- an event type longer than its column is cut short: it is only a label for the record (an
  event of a type that long is one we do not apply), and refusing it would make the provider
  redeliver an event we would never take;
- an event time further in the future than ACS_CLOCK_SKEW_SECONDS past the event's arrival is
  read as its arrival time (the event is stored as sent): a roster snapshot dated next year
  would otherwise make every real one after it look stale, and freeze the roster.

The limits are the columns' own (calls.models), so a migration that widens one widens the rule.
Everything here raises only CallbackParseError, so a refusal is one callback's alone.
"""

import dataclasses
import logging
from datetime import datetime, timedelta

from django.conf import settings

from calls.callback_events import AnyCallbackEvent, RosterEntry
from calls.callback_reading import fail
from calls.models import Call, CallEvent, Participant
from config import json_input

IDENTIFIER_LENGTH = min(
    field.max_length or 0
    for field in (
        Call._meta.get_field("provider_call_id"),
        Participant._meta.get_field("identifier"),
        Participant._meta.get_field("provider_participant_id"),
    )
)
EVENT_TYPE_LENGTH = CallEvent._meta.get_field("event_type").max_length or 0
# The event fields that end up in an identifier column, whatever the event's type.
_IDENTIFIER_FIELDS = ("call_id", "participant")
logger = logging.getLogger(__name__)


def check_storable(document: object, where: str = "body") -> None:
    """Refuse text and numbers the database cannot store, anywhere in a loaded JSON document
    (config.json_input's rule, which every HTTP interface shares)."""
    try:
        json_input.check_storable(document, where)
    except json_input.JsonInputError as exc:
        fail(exc.code, exc.message)


def check_fits(event: AnyCallbackEvent) -> None:
    """Refuse an event whose identifiers are longer than the columns that keep them."""
    names: list[tuple[str, str | None]] = [
        (name, getattr(event, name, None)) for name in _IDENTIFIER_FIELDS
    ]
    for entry in getattr(event, "participants", ()):
        if isinstance(entry, RosterEntry):
            names += [("identifier", entry.identifier), ("participantId", entry.participant_id)]
        else:
            names.append(("participant", entry))
    for name, value in names:
        if value is not None and len(value) > IDENTIFIER_LENGTH:
            fail(
                "too_long",
                f"The event's {name} is longer than {IDENTIFIER_LENGTH} characters.",
            )


def event_type_for_column(event_type: str) -> str:
    """The event type as stored: cut to its column (see the module's docstring)."""
    return event_type[:EVENT_TYPE_LENGTH]


def within_clock_skew(event: AnyCallbackEvent, *, arrived: datetime) -> AnyCallbackEvent:
    """The event, dated no later than its arrival plus the clock skew allowed (see above)."""
    if event.event_time <= arrived + timedelta(seconds=settings.ACS_CLOCK_SKEW_SECONDS):
        return event
    logger.warning(
        "A %s event was dated %s, after it arrived (%s): read as dated on arrival.",
        event.event_type[:EVENT_TYPE_LENGTH],
        event.event_time.isoformat(),
        arrived.isoformat(),
    )
    return dataclasses.replace(event, event_time=arrived)
