"""Create the viewers, operators and admins groups with their permissions.

The permission table is frozen here on purpose (migrations never import app code);
tests/accounts/test_roles.py checks it still matches accounts.roles.
"""

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

VIEWER = [
    ("incidents", "view_incident"),
    ("incidents", "view_timelineentry"),
    ("calls", "view_call"),
    ("calls", "view_participant"),
    ("calls", "view_callevent"),
    ("contacts", "view_contact"),
    ("contacts", "view_contactgroup"),
]
OPERATOR = VIEWER + [
    ("incidents", "add_incident"),
    ("incidents", "change_incident"),
    ("calls", "change_call"),
    ("calls", "add_participant"),
    ("calls", "change_participant"),
]
ADMIN = OPERATOR + [
    ("contacts", "add_contact"),
    ("contacts", "change_contact"),
    ("contacts", "delete_contact"),
    ("contacts", "add_contactgroup"),
    ("contacts", "change_contactgroup"),
    ("contacts", "delete_contactgroup"),
]
ROLES = {"viewers": VIEWER, "operators": OPERATOR, "admins": ADMIN}


def create_role_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Permissions are normally created after all migrations ran; make them exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            [
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in perms
            ]
        )


def delete_role_groups(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contacts", "0001_create_contacts_and_groups"),
        ("incidents", "0001_create_incidents_and_timeline"),
        ("calls", "0001_create_calls_participants_events"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
