"""Quiet hours: the local hours in which nobody is called. The one rule, used for a person's
first attempt (reminders) and for every retry (settling), so no attempt starts inside them."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end`, local time; an `end` before `start` crosses midnight."""

    start: time
    end: time


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name` ("" is UTC); raises ValidationError for an unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"There is no time zone {name!r} (give an IANA name).") from exc


def earliest_call(at: datetime, *, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """`at`, or the end of the quiet hours it falls in (local time in `zone`), in UTC."""
    if quiet is None or quiet.start == quiet.end:
        return at
    local = at.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside, end_day = quiet.start <= now < quiet.end, local.date()
    else:  # e.g. 21:00 to 08:00
        inside = now >= quiet.start or now < quiet.end
        end_day = local.date() + timedelta(days=1) if now >= quiet.start else local.date()
    if not inside:
        return at
    # A local end time a DST change skips is read with the offset before the change.
    return datetime.combine(end_day, quiet.end, tzinfo=zone).astimezone(UTC)


def not_before(
    at: datetime, *, quiet_start: time | None, quiet_end: time | None, zone: str
) -> datetime:
    """earliest_call for a call-out's quiet hours (none unless both ends are set) in `zone`."""
    quiet = QuietHours(quiet_start, quiet_end) if quiet_start and quiet_end else None
    return earliest_call(at, quiet=quiet, zone=zone_named(zone))
