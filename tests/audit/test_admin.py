"""Configuration changes in the admin site are in the audit log, one entry per object; the log
itself is browsable and filterable there, by admins only."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from audit.checks import check_every_admin_is_audited
from audit.models import AuditAction, AuditEntry, Source
from contacts.models import Contact
from integrations.models import Integration
from tests.conftest import token_client
from tests.factories import ContactFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _only_entry() -> AuditEntry:
    (entry,) = AuditEntry.objects.all()
    return entry


def test_adding_changing_and_deleting_a_contact_are_three_entries(
    admin_client: Client, admin_user: User
) -> None:
    form = {"name": "Ada", "phone_number": "+14255550199", "is_active": "on"}
    assert admin_client.post("/admin/contacts/contact/add/", form).status_code == 302
    contact = Contact.objects.get()
    added = _only_entry()
    assert (added.action, added.source, added.actor, added.address) == (
        AuditAction.ADD,
        Source.ADMIN,
        admin_user,
        "127.0.0.1",
    )
    assert (added.target_type, added.target_id, added.target_repr) == (
        "contacts.contact",
        str(contact.pk),
        str(contact),
    )
    page = f"/admin/contacts/contact/{contact.pk}/"
    form["phone_number"] = "+14255550198"
    assert admin_client.post(f"{page}change/", form).status_code == 302
    changed = AuditEntry.objects.get(action=AuditAction.CHANGE)
    assert "Phone number" in changed.summary
    assert admin_client.post(f"{page}delete/", {"post": "yes"}).status_code == 302
    deleted = AuditEntry.objects.get(action=AuditAction.DELETE)
    assert deleted.target_id == str(contact.pk)
    assert AuditEntry.objects.count() == 3


def test_a_bulk_delete_is_one_entry_per_object(admin_client: Client) -> None:
    contacts = ContactFactory.create_batch(3)
    response = admin_client.post(
        "/admin/contacts/contact/",
        {"action": "delete_selected", "_selected_action": [c.pk for c in contacts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Contact.objects.exists()
    assert sorted(AuditEntry.objects.values_list("target_id", flat=True)) == sorted(
        str(c.pk) for c in contacts
    )
    assert set(AuditEntry.objects.values_list("action", "source")) == {
        (AuditAction.DELETE, Source.ADMIN)
    }


def test_a_webhook_added_in_the_admin_is_one_entry(admin_client: Client) -> None:
    form = {"url": "https://hooks.example.com/in", "events": ["incident.declared"]}
    assert admin_client.post("/admin/webhooks/subscription/add/", form).status_code == 200
    entry = _only_entry()  # the admin's, not also the service's it saves through
    assert (entry.action, entry.source, entry.target_type) == (
        AuditAction.ADD,
        Source.ADMIN,
        "webhooks.subscription",
    )


def test_an_admin_action_records_each_object_it_changes(admin_client: Client) -> None:
    subscriptions = SubscriptionFactory.create_batch(2)
    admin_client.post(
        "/admin/webhooks/subscription/",
        {"action": "rotate_secrets", "_selected_action": [s.pk for s in subscriptions]},
    )
    assert sorted(AuditEntry.objects.values_list("target_id", "action", "source")) == sorted(
        (str(s.pk), AuditAction.ROTATE_SECRET, Source.ADMIN) for s in subscriptions
    )


def test_the_auth_admin_records_too(root_client: Client) -> None:
    response = root_client.post("/admin/auth/group/add/", {"name": "night shift"})
    assert response.status_code == 302
    entry = _only_entry()
    assert (entry.target_type, entry.target_repr) == ("auth.group", "night shift")


def test_a_token_is_named_by_its_owner_never_by_its_key(
    root_client: Client, operator: User
) -> None:
    assert (
        root_client.post("/admin/authtoken/tokenproxy/add/", {"user": operator.pk}).status_code
        == 302
    )
    entry = _only_entry()
    assert entry.target_repr == f"API token of {operator}"
    assert Token.objects.get().key not in entry.target_repr + entry.summary


def test_webhook_and_integration_changes_through_the_api_are_recorded(admin_user: User) -> None:
    api = token_client(admin_user)
    made = api.post(
        "/api/webhooks/", {"url": "https://h.example.com/", "events": ["incident.declared"]}
    )
    assert made.status_code == 201
    subscription = made.json()["id"]
    assert api.patch(f"/api/webhooks/{subscription}/", {"is_active": False}).status_code == 200
    assert api.delete(f"/api/webhooks/{subscription}/").status_code == 204
    body = {"name": "Prometheus", "kind": "alertmanager", "mode": "bridge"}
    assert api.post("/api/integrations/", body, format="json").status_code == 201
    integration = Integration.objects.get().pk
    changed = api.patch(f"/api/integrations/{integration}/", {"is_active": False}, format="json")
    assert changed.status_code == 200
    assert api.delete(f"/api/integrations/{integration}/").status_code == 204
    rows = list(AuditEntry.objects.order_by("id").values_list("target_type", "action", "source"))
    assert rows == [
        ("webhooks.subscription", AuditAction.ADD, Source.API_TOKEN),
        ("webhooks.subscription", AuditAction.CHANGE, Source.API_TOKEN),
        ("webhooks.subscription", AuditAction.DELETE, Source.API_TOKEN),
        ("integrations.integration", AuditAction.ADD, Source.API_TOKEN),
        ("integrations.integration", AuditAction.CHANGE, Source.API_TOKEN),
        ("integrations.integration", AuditAction.DELETE, Source.API_TOKEN),
    ]
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {admin_user.pk}
    assert AuditEntry.objects.get(
        action="change", target_type="integrations.integration"
    ).summary == ("Changed is_active.")


def test_contacts_changed_through_the_api_are_recorded(admin_user: User) -> None:
    api = token_client(admin_user)
    made = api.post("/api/contacts/", {"name": "Ada", "phone_number": "+14255550199"})
    assert made.status_code == 201, made.json()
    entry = _only_entry()
    assert (entry.action, entry.target_repr, entry.source) == (
        AuditAction.ADD,
        "Ada",
        Source.API_TOKEN,
    )


def test_admins_browse_and_filter_the_log(admin_client: Client, operator: User) -> None:
    # An operator's refused attempt leaves nothing; the admin's change is the one entry.
    token_client(operator).post("/api/contacts/", {"name": "Nope", "phone_number": "+14255550197"})
    form = {"name": "Ada", "phone_number": "+14255550199", "is_active": "on"}
    admin_client.post("/admin/contacts/contact/add/", form)
    assert AuditEntry.objects.count() == 1
    listing = "/admin/audit/auditentry/"
    # The date filter's own "Today" link: midnight, aware.
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    for query in [
        {},
        {"source__exact": "admin"},
        {"action__exact": "add"},
        {"target_type": "contacts.contact"},
        {"actor__id__exact": str(AuditEntry.objects.get().actor_id)},
        {"at__gte": str(today), "at__lt": str(today + timedelta(days=1))},
        {"at__year": str(today.year), "at__month": str(today.month), "at__day": str(today.day)},
        {"q": "Ada"},
        {"q": "127.0.0.1"},
    ]:
        response = admin_client.get(listing, query)
        assert response.status_code == 200, query
        assert b"Ada" in response.content, query
    assert b"Ada" not in admin_client.get(listing, {"source__exact": "api_token"}).content


def test_operators_and_viewers_cannot_read_the_log(operator: User) -> None:
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/audit/auditentry/").status_code in (302, 403)


def test_every_admin_of_the_project_records_its_changes() -> None:
    assert not [m for m in run_checks() if m.id == "audit.E001"]
    model = Contact
    audited = admin.site._registry[model]
    admin.site._registry[model] = admin.ModelAdmin(model, admin.site)
    try:
        (error,) = check_every_admin_is_audited()
    finally:
        admin.site._registry[model] = audited
    assert error.id == "audit.E001" and "contacts.Contact" in error.msg
