"""Who to call: groups, contacts and ad-hoc numbers resolved to one list without repeats."""

from collections.abc import Iterable
from dataclasses import dataclass

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
    group_members = Contact.objects.active().filter(groups__in=list(groups)).order_by("name")
    by_identifier: dict[str, Target] = {}
    for contact in [*group_members, *(c for c in contacts if c.is_active)]:
        by_identifier.setdefault(contact.call_target, Target(contact.call_target, contact))
    for raw in numbers:
        identifier = normalize_target(raw)
        if identifier not in by_identifier:
            known = Contact.objects.filter(phone_number=identifier).first()
            by_identifier[identifier] = Target(identifier, known)
    return list(by_identifier.values())
