"""Let operators escalate incidents now, and admins configure escalation policies."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here (migrations never import app code); tests/accounts/test_roles.py compares.
GRANTS = {
    "operators": ["change_escalation"],
    "admins": [
        "change_escalation",
        "view_escalation",
        "add_escalationpolicy",
        "change_escalationpolicy",
        "delete_escalationpolicy",
        "view_escalationpolicy",
        "add_escalationstep",
        "change_escalationstep",
        "delete_escalationstep",
        "view_escalationstep",
    ],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    escalations = apps.get_app_config("escalations")
    escalations.models_module = True
    create_permissions(escalations, apps=apps, verbosity=0)
    escalations.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="escalations", codename__in=GRANTS[group.name]
            )
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="escalations", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_grant_audit_permissions"),
        ("escalations", "0001_create_policies_and_escalations"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
