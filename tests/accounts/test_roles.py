import importlib

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from accounts.roles import ROLE_PERMISSIONS, Role
from accounts.services import assign_role
from tests.factories import UserFactory

create_role_groups = importlib.import_module("accounts.migrations.0001_create_role_groups")
grant_audio_prompts = importlib.import_module("accounts.migrations.0002_grant_admins_audio_prompts")
grant_view_prompts = importlib.import_module(
    "accounts.migrations.0003_grant_everyone_view_audioprompt"
)
grant_callouts = importlib.import_module("accounts.migrations.0004_grant_callout_permissions")
grant_integrations = importlib.import_module(
    "accounts.migrations.0005_grant_integration_permissions"
)
grant_webhooks = importlib.import_module("accounts.migrations.0006_grant_webhook_permissions")
grant_audit = importlib.import_module("accounts.migrations.0007_grant_audit_permissions")
grant_escalations = importlib.import_module("accounts.migrations.0008_grant_escalation_permissions")
grant_reminders = importlib.import_module("accounts.migrations.0009_grant_reminder_permissions")
grant_call_rates = importlib.import_module("accounts.migrations.0010_grant_call_rates_permissions")


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_migration_created_each_role_with_exactly_its_permissions(role: Role) -> None:
    group = Group.objects.get(name=role.value)
    granted = {(p.content_type.app_label, p.codename) for p in group.permissions.all()}
    assert granted == set(ROLE_PERMISSIONS[role])


def test_frozen_migration_tables_match_the_roles_module() -> None:
    frozen = {role: set(perms) for role, perms in create_role_groups.ROLES.items()}
    frozen["admins"] |= {("calls", c) for c in grant_audio_prompts.CODENAMES}
    for role in grant_view_prompts.ROLES:
        frozen[role].add(("calls", grant_view_prompts.CODENAME))
    for role, codenames in grant_callouts.GRANTS.items():
        frozen[role] |= {("callouts", c) for c in codenames}
    for role, codenames in grant_integrations.GRANTS.items():
        frozen[role] |= {("integrations", c) for c in codenames}
    for role, codenames in grant_webhooks.GRANTS.items():
        frozen[role] |= {("webhooks", c) for c in codenames}
    for role, codenames in grant_audit.GRANTS.items():
        frozen[role] |= {("audit", c) for c in codenames}
    for role, codenames in grant_escalations.GRANTS.items():
        frozen[role] |= {("escalations", c) for c in codenames}
    for role, codenames in grant_reminders.GRANTS.items():
        frozen[role] |= {("reminders", c) for c in codenames}
    for role, codenames in grant_call_rates.GRANTS.items():
        frozen[role] |= {("reports", c) for c in codenames}
    assert frozen == {role.value: set(perms) for role, perms in ROLE_PERMISSIONS.items()}


@pytest.mark.django_db
def test_viewer_reads_but_cannot_act(viewer: User) -> None:
    assert viewer.has_perm("incidents.view_incident")
    assert not viewer.has_perm("incidents.add_incident")
    assert not viewer.has_perm("calls.change_call")
    assert not viewer.is_staff


@pytest.mark.django_db
def test_operator_declares_and_acts_but_does_not_configure(operator: User) -> None:
    assert operator.has_perm("incidents.add_incident")
    assert operator.has_perm("calls.change_call")
    assert not operator.has_perm("contacts.change_contact")
    assert not operator.is_staff


@pytest.mark.django_db
def test_admin_configures_contacts_in_the_admin_site(admin_user: User) -> None:
    assert admin_user.has_perm("contacts.change_contactgroup")
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/contacts/contact/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["viewer", "operator"])
def test_non_admins_are_kept_out_of_the_admin_site(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(fixture))
    response = client.get("/admin/contacts/contact/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_assign_role_replaces_the_previous_role() -> None:
    user = UserFactory.create()
    assign_role(user=user, role=Role.ADMIN)
    assign_role(user=user, role=Role.VIEWER)
    assert list(user.groups.values_list("name", flat=True)) == ["viewers"]
    assert not user.is_staff
