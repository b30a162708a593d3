"""Admins configure integrations: each change is one function (the API's create, update and
destroy call them; the admin site saves through its own form, recorded by its base)."""

from typing import Any

from django.db import transaction

from audit.models import AuditAction
from audit.services import audited, record_action
from integrations.models import Integration

# Many-to-many fields, set once the row exists.
RELATIONS = ("groups", "contacts")


@audited
@transaction.atomic
def create_integration(**fields: Any) -> Integration:
    """Add an integration (a new token is made). Raises nothing of its own: the serializer
    has checked the fields."""
    relations = {name: fields.pop(name) for name in RELATIONS if name in fields}
    integration = Integration.objects.create(**fields)
    for name, values in relations.items():
        getattr(integration, name).set(values)
    record_action(action=AuditAction.ADD, target=integration, summary="Added.")
    return integration


@audited
@transaction.atomic
def update_integration(*, integration: Integration, **changes: Any) -> Integration:
    """Change the given fields of `integration` (its token stays). Raises nothing of its own."""
    for name, value in changes.items():
        if name not in RELATIONS:
            setattr(integration, name, value)
    integration.save()
    for name in RELATIONS:
        if name in changes:
            getattr(integration, name).set(changes[name])
    said = f"Changed {', '.join(sorted(changes))}." if changes else "No fields changed."
    record_action(action=AuditAction.CHANGE, target=integration, summary=said)
    return integration


@audited
@transaction.atomic
def delete_integration(*, integration: Integration) -> None:
    """Delete `integration`: its URL stops answering; its alerts go with it. Raises nothing."""
    record_action(action=AuditAction.DELETE, target=integration, summary="Deleted.")
    integration.delete()
