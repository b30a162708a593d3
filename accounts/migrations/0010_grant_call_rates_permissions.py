"""Let admins set the call rates that reports estimate cost with."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here (migrations never import app code); tests/accounts/test_roles.py compares.
GRANTS = {
    "admins": ["add_callrates", "change_callrates", "delete_callrates", "view_callrates"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    reports = apps.get_app_config("reports")
    reports.models_module = True
    create_permissions(reports, apps=apps, verbosity=0)
    reports.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="reports", codename__in=GRANTS[group.name]
            )
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="reports", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_grant_reminder_permissions"),
        ("reports", "0001_create_call_rates"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
