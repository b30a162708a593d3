"""The reminders' background work: a wake-up at each occurrence (the rows decide, under a lock)."""

from django_tasks import task


@task()
def fire_reminder(reminder_id: int) -> None:
    """Make the reminder's run for its due occurrence, if not made yet."""
    from reminders.services.firing import fire_due

    fire_due(reminder_id=reminder_id)
