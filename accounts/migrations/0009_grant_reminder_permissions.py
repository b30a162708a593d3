"""Let admins create, read and cancel reminders and read their runs."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here (migrations never import app code); tests/accounts/test_roles.py compares.
GRANTS = {
    "admins": [
        "add_reminder",
        "change_reminder",
        "view_reminder",
        "view_reminderrecipient",
        "view_reminderrun",
    ],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    reminders = apps.get_app_config("reminders")
    reminders.models_module = True
    create_permissions(reminders, apps=apps, verbosity=0)
    reminders.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="reminders", codename__in=GRANTS[group.name]
            )
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="reminders", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):
    # 0007 is another branch's: the lead sets this to depend on it at merge.
    dependencies = [
        ("accounts", "0008_grant_escalation_permissions"),
        ("reminders", "0001_create_reminders"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
