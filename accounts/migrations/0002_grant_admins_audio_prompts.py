"""Let admins manage audio prompts (the model arrived after the roles were created)."""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CODENAMES = ["view_audioprompt", "add_audioprompt", "change_audioprompt", "delete_audioprompt"]


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    calls = apps.get_app_config("calls")
    calls.models_module = True
    create_permissions(calls, apps=apps, verbosity=0)
    calls.models_module = None
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.get(name="admins")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="calls", codename__in=CODENAMES)
    )


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name="admins").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="calls", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_create_role_groups"),
        ("calls", "0002_add_prompts_and_media_state"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
