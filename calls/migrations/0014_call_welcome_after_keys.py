"""On GA the welcome prompt waits until someone's keys were answered (calls.services.welcome)."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.utils import timezone


def claim_live_calls_welcome(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Calls already connected played (or skipped) their prompt by the old rule: a later
    # joiner's keys must not play it again.
    Call = apps.get_model("calls", "Call")
    Call.objects.filter(state="established").update(welcome_claimed_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0013_participant_uninvited"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="keys_answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="call",
            name="welcome_claimed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(claim_live_calls_welcome, migrations.RunPython.noop),
    ]
