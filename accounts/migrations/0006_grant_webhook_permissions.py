"""Let admins manage webhook subscriptions and read (and send again) their deliveries."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Frozen here (migrations never import app code); tests/accounts/test_roles.py compares.
GRANTS = {
    "admins": [
        "add_subscription",
        "change_subscription",
        "delete_subscription",
        "view_subscription",
        "view_delivery",
        "change_delivery",
        "view_deliveryattempt",
    ],
}


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    webhooks = apps.get_app_config("webhooks")
    webhooks.models_module = True
    create_permissions(webhooks, apps=apps, verbosity=0)
    webhooks.models_module = None
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="webhooks", codename__in=GRANTS[group.name]
            )
        )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="webhooks", codename__in=GRANTS[group.name]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_grant_integration_permissions"),
        ("webhooks", "0001_create_subscriptions_and_deliveries"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
