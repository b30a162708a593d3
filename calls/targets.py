"""Who to call: groups, contacts and ad-hoc numbers resolved to one list without repeats."""

from collections.abc import Iterable
from dataclasses import dataclass

from calls.errors import NothingToCall
from contacts.models import Contact, ContactGroup
from contacts.phone import normalize_target


@dataclass(frozen=True)
class Target:
    identifier: str  # "+E164" or "8:acs:..."
    contact: Contact | None


def resolve_targets(
    *,
    groups: Iterable[ContactGroup] = (),
    contacts: Iterable[Contact] = (),
    numbers: Iterable[str] = (),
) -> list[Target]:
    """Active members of `groups`, then `contacts`, then ad-hoc `numbers`, each called once.

    Raises django ValidationError for an ad-hoc number that is not E.164 or an ACS id.
    """
    identifiers = [normalize_target(raw) for raw in numbers]
    return targets_of(groups=groups, contacts=contacts, identifiers=identifiers)


def targets_of(
    *,
    groups: Iterable[ContactGroup] = (),
    contacts: Iterable[Contact] = (),
    identifiers: Iterable[str] = (),
) -> list[Target]:
    """As resolve_targets, for ad-hoc numbers that normalize_target has already checked (the
    API and the dashboard do, to report each bad one): parsing a number is what costs, at
    about 30 µs each, so 10,000 of them are parsed once, not twice."""
    group_members = Contact.objects.active().filter(groups__in=list(groups)).order_by("name")
    by_identifier: dict[str, Target] = {}
    for contact in [*group_members, *(c for c in contacts if c.is_active)]:
        by_identifier.setdefault(contact.call_target, Target(contact.call_target, contact))
    ad_hoc = list(identifiers)
    # One query for the contacts behind the typed-in numbers, not one per number.
    known: dict[str, Contact] = {}
    for contact in Contact.objects.filter(phone_number__in=ad_hoc).order_by("pk"):
        known.setdefault(contact.phone_number, contact)
    for identifier in ad_hoc:
        by_identifier.setdefault(identifier, Target(identifier, known.get(identifier)))
    return list(by_identifier.values())


def require_targets(targets: list[Target]) -> list[Target]:
    """`targets`, unless there are none: raises NothingToCall (every interface shows it)."""
    if not targets:
        raise NothingToCall("Choose at least one active contact, group or number to call.")
    return targets
