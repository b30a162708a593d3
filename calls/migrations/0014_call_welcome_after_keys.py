"""On GA the welcome prompt waits until someone's keys were answered (calls.services.welcome);
each claim on a keys request or a welcome play is a lease that a dead process gives back."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import F
from django.utils import timezone


def settle_live_calls(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Calls already connected played (or skipped) their prompt by the old rule, and the keys
    # requests already made were answered by it: nothing of theirs is to be made again.
    Call = apps.get_model("calls", "Call")
    Participant = apps.get_model("calls", "Participant")
    now = timezone.now()
    Call.objects.filter(state="established").update(welcome_claimed_at=now, welcome_done_at=now)
    Participant.objects.filter(keys_listened_at__isnull=False).update(
        keys_answered_at=F("keys_listened_at")
    )


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
        migrations.AddField(
            model_name="call",
            name="welcome_done_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="participant",
            name="keys_answered_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(settle_live_calls, migrations.RunPython.noop),
    ]
