"""The audit log only grows: no model, queryset, admin or API path changes or deletes it."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import get_resolver

from audit.errors import AppendOnly
from audit.models import AuditAction, AuditEntry, Source
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _entry(actor: User | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.username if actor else "",
        source=Source.DASHBOARD,
        action=AuditAction.RESOLVE,
        target_type="incidents.incident",
        target_id="1",
        target_repr="Fire",
        summary="Status changed to resolved by ada.",
    )


def test_a_saved_entry_cannot_be_changed_or_deleted() -> None:
    entry = _entry()
    entry.summary = "Nothing happened."
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    entry.refresh_from_db()
    assert entry.summary == "Status changed to resolved by ada."


def test_the_queryset_refuses_bulk_changes_and_deletes() -> None:
    entry = _entry()
    entries = AuditEntry.objects.all()
    with pytest.raises(AppendOnly):
        entries.update(summary="Nothing happened.")
    with pytest.raises(AppendOnly):
        entries.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_update([entry], ["summary"])
    with pytest.raises(AppendOnly):
        AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"summary": "x"})
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().summary == "Status changed to resolved by ada."


async def test_the_async_queryset_refuses_them_too() -> None:
    with pytest.raises(AppendOnly):
        await AuditEntry.objects.aupdate(summary="x")
    with pytest.raises(AppendOnly):
        await AuditEntry.objects.all().adelete()


def test_deleting_a_user_keeps_the_record_of_what_they_did() -> None:
    ada = UserFactory.create(username="ada")
    entry = _entry(ada)
    ada.delete()
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.actor_id, kept.actor_name) == (entry.actor_id, "ada")


def test_no_permission_to_change_or_delete_it_exists() -> None:
    assert AuditEntry._meta.default_permissions == ("view",)


def test_the_admin_shows_entries_read_only_and_refuses_changes(root_client: Client) -> None:
    entry = _entry()
    page = f"/admin/audit/auditentry/{entry.pk}/change/"
    response = root_client.get(page)
    assert response.status_code == 200
    assert b'name="_save"' not in response.content  # no save button: nothing to change
    assert root_client.post(page, {"summary": "Nothing happened."}).status_code == 403
    assert root_client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    assert (
        root_client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert root_client.get("/admin/audit/auditentry/add/").status_code == 403
    listing = root_client.get("/admin/audit/auditentry/")
    assert b"delete_selected" not in listing.content  # no bulk action either
    response = root_client.post(
        "/admin/audit/auditentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.get().summary == "Status changed to resolved by ada."


def test_no_api_route_reaches_the_audit_log() -> None:
    routes = [str(p.pattern) for p in get_resolver("config.api_urls").url_patterns]
    assert not [r for r in routes if "audit" in r]
