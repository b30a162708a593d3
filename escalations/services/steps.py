"""A step of an escalation's copied policy: whom it calls, how, and when the next one runs."""

from datetime import timedelta
from typing import Any

from django.conf import settings

from calls.models import CallMode
from calls.targets import Target, targets_of
from contacts.models import Contact, ContactGroup

Step = dict[
    str, Any
]  # {"groups": [ids], "contacts": [ids], "targets": [...], "mode", "wait_seconds"}


def step_targets(step: Step) -> list[Target]:
    """Whom `step` calls now: the active members of its groups (as they are now), its active
    contacts, then its other numbers, each once; a group or contact deleted since is left out."""
    return targets_of(
        groups=ContactGroup.objects.filter(pk__in=step["groups"]),
        contacts=Contact.objects.filter(pk__in=step["contacts"]).order_by("name"),
        identifiers=step["targets"],
    )


def step_mode(step: Step) -> CallMode:
    return CallMode(step["mode"])


def step_wait(step: Step) -> timedelta:
    """How long after `step` the next one runs (ESCALATION_TIME_SCALE scales it, for tests)."""
    return timedelta(seconds=step["wait_seconds"] * settings.ESCALATION_TIME_SCALE)


def merged(*lists: list[Target]) -> list[Target]:
    """The targets of `lists` in order, each identifier once."""
    by_identifier: dict[str, Target] = {}
    for targets in lists:
        for target in targets:
            by_identifier.setdefault(target.identifier, target)
    return list(by_identifier.values())


def how(mode: CallMode) -> str:
    return "on the bridge call" if mode == CallMode.BRIDGE else "one by one (call-out)"
