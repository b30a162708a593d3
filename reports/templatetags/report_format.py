"""Formatting for the report pages: durations and shares."""

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """1:05 for 65 s, 1:01:05 past the hour; a dash for none."""
    if seconds is None:
        return "–"
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
