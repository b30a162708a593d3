"""Let admins read the audit log (nobody can be granted a change or delete of it: none exists)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here (migrations never import app code); tests/accounts/test_roles.py compares.
GRANTS = {
    "admins": ["view_auditentry"],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    audit = apps.get_app_config("audit")
    audit.models_module = True
    create_permissions(audit, apps=apps, verbosity=0)
    audit.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="audit", codename__in=GRANTS[group.name]
            )
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="audit", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        # After main's last (0006) for now; the lead renumbers at merge.
        ("accounts", "0006_grant_webhook_permissions"),
        ("audit", "0001_create_audit_entries"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
