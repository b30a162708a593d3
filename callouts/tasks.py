"""The call-out's background work, run by `manage.py run_worker` from the task database.

Tasks are only wake-ups: what to do is read from the call-out's rows, under row locks, so a
task that runs twice, late, or after a worker died half-way does no harm.
"""

from datetime import datetime

from django_tasks import task

# The services enqueue these tasks, so each task imports its service when it runs.


@task()
def pace_callout(callout_id: int) -> None:
    """Start as many of the call-out's due attempts as the caller numbers and start rate allow."""
    from callouts.services.pacing import pace

    pace(callout_id=callout_id)


@task()
def place_attempt(attempt_id: int) -> None:
    """Send one attempt's create-call (again, with the same repeatability id, if need be)."""
    from callouts.services.placing import place

    place(attempt_id=attempt_id)


@task()
def join_bridge(attempt_id: int, give_up_at: str) -> None:
    """Ring someone who asked to join the bridge into it, once the bridge call has connected."""
    from callouts.services.bridging import ring_into_bridge

    ring_into_bridge(attempt_id=attempt_id, give_up_at=datetime.fromisoformat(give_up_at))
