"""The escalations' background work: a wake-up per escalation at its next step's time.

Tasks are only wake-ups: which step is due, and whether its calls were sent, is read from the
escalation's row under its lock, so a task that runs twice, late, or after a worker died
half-way runs each step once.
"""

from django_tasks import task


@task()
def run_escalation(escalation_id: int) -> None:
    """Run the escalation's next step if it is due (and still wanted), and send any of its
    bridge invitations not sent yet."""
    from escalations.services.stepping import run_escalation_work

    run_escalation_work(escalation_id=escalation_id)
