"""Let viewers and operators list audio prompts: the API's declare and play take a prompt id."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ROLES = ["viewers", "operators"]
CODENAME = "view_audioprompt"


def grant(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="calls", codename=CODENAME)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.add(permission)


def revoke(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(
        content_type__app_label="calls", codename=CODENAME
    ).first()
    if permission is not None:
        for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_grant_admins_audio_prompts")]

    operations = [migrations.RunPython(grant, revoke)]
