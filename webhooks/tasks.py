"""The webhooks' background work, run by `manage.py run_worker` from the task database.

A task is only a wake-up: the delivery's row says what is due, under its row lock and lease,
so a task run twice, late, or after a worker died half-way sends nothing twice at once.
"""

from django_tasks import task


@task()
def deliver_webhook(delivery_id: int) -> None:
    """Send one delivery (a try), if it is due and nobody else is sending it."""
    from webhooks.services.delivering import deliver

    deliver(delivery_id=delivery_id)
