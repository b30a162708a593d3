"""Let operators stop call-outs, and admins configure them (the models arrived after the roles)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here (migrations never import app code); tests/accounts/test_roles.py compares.
GRANTS = {
    "operators": ["change_callout"],
    "admins": [
        "change_callout",
        "add_callernumber",
        "change_callernumber",
        "delete_callernumber",
        "add_calloutpolicy",
        "change_calloutpolicy",
        "delete_calloutpolicy",
        "view_callout",
        "view_recipient",
        "view_attempt",
    ],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    callouts = apps.get_app_config("callouts")
    callouts.models_module = True
    create_permissions(callouts, apps=apps, verbosity=0)
    callouts.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="callouts", codename__in=GRANTS[group.name]
            )
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="callouts", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_grant_everyone_view_audioprompt"),
        ("callouts", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
