"""Attempt calls made before Call.quiet existed become quiet; call-outs get their running
totals of ended calls (the estimate's mean) from the attempts they already have."""

from typing import Any

from django.db import migrations


def fill(apps: Any, schema_editor: Any) -> None:
    Attempt = apps.get_model("callouts", "Attempt")
    Call = apps.get_model("calls", "Call")
    Callout = apps.get_model("callouts", "Callout")
    Call.objects.filter(attempt__isnull=False).update(quiet=True)
    totals: dict[int, tuple[int, float]] = {}
    timed = Attempt.objects.filter(ended_at__isnull=False, claimed_at__isnull=False)
    for callout_id, claimed_at, ended_at in timed.values_list(
        "recipient__callout_id", "claimed_at", "ended_at"
    ).iterator():
        calls, seconds = totals.get(callout_id, (0, 0.0))
        totals[callout_id] = (calls + 1, seconds + max((ended_at - claimed_at).total_seconds(), 0))
    for callout_id, (calls, seconds) in totals.items():
        Callout.objects.filter(pk=callout_id).update(timed_calls=calls, timed_call_seconds=seconds)


class Migration(migrations.Migration):
    dependencies = [
        ("callouts", "0002_add_callout_timed_calls"),
        ("calls", "0006_add_call_quiet"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
