"""Every change to contacts and contact groups goes through these functions."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from audit.models import AuditAction
from audit.services import audited, record_action
from contacts.models import Contact, ContactGroup


@audited
@transaction.atomic
def create_contact(
    *,
    name: str,
    phone_number: str = "",
    acs_user_id: str = "",
    is_active: bool = True,
) -> Contact:
    """Add a person the app can call. Raises django ValidationError on a broken rule."""
    contact = Contact(
        name=name, phone_number=phone_number, acs_user_id=acs_user_id, is_active=is_active
    )
    contact.full_clean()
    contact.save()
    record_action(action=AuditAction.ADD, target=contact, summary="Added.")
    return contact


@audited
@transaction.atomic
def update_contact(*, contact: Contact, **changes: Any) -> Contact:
    """Change a contact's fields. Raises django ValidationError on a broken rule."""
    for field, value in changes.items():
        setattr(contact, field, value)
    contact.full_clean()
    contact.save()
    record_action(action=AuditAction.CHANGE, target=contact, summary=_changed(changes))
    return contact


@audited
@transaction.atomic
def delete_contact(*, contact: Contact) -> None:
    """Forget a contact; the calls they were on keep their number."""
    record_action(action=AuditAction.DELETE, target=contact, summary="Deleted.")
    contact.delete()


@audited
@transaction.atomic
def create_group(
    *, name: str, description: str = "", members: Iterable[Contact] = ()
) -> ContactGroup:
    """Add a group of contacts called together. Raises django ValidationError (name taken)."""
    group = ContactGroup(name=name, description=description)
    group.full_clean()
    group.save()
    group.members.set(list(members))
    record_action(action=AuditAction.ADD, target=group, summary="Added.")
    return group


@audited
@transaction.atomic
def update_group(
    *, group: ContactGroup, members: Iterable[Contact] | None = None, **changes: Any
) -> ContactGroup:
    """Change a group's fields and, when given, its members. Raises django ValidationError."""
    for field, value in changes.items():
        setattr(group, field, value)
    group.full_clean()
    group.save()
    if members is not None:
        group.members.set(list(members))
        changes = {**changes, "members": members}
    record_action(action=AuditAction.CHANGE, target=group, summary=_changed(changes))
    return group


@audited
@transaction.atomic
def delete_group(*, group: ContactGroup) -> None:
    """Delete a group; its contacts stay."""
    record_action(action=AuditAction.DELETE, target=group, summary="Deleted.")
    group.delete()


def _changed(changes: dict[str, Any]) -> str:
    return f"Changed {', '.join(sorted(changes))}." if changes else "No fields changed."
