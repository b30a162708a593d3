"""The alerts' background work, run by `manage.py run_worker` from the task database."""

from django_tasks import task


@task()
def process_alert(alert_id: int) -> None:
    """Declare, note or resolve what a stored alert says (safe to run twice)."""
    from integrations.services.processing import process

    process(alert_id=alert_id)
