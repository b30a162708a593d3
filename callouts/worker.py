"""One worker process (`manage.py run_worker`): the task engine's database worker on
WORKER_TASK_THREADS threads of their own, next to the callback applier and the ring sweep
(calls.background) on the main loop. Several threads, because a task spends much of its time
waiting for the provider's answer (a create-call) or the database: meanwhile another thread
takes the next pacing, and a freed line waits less for its next call.

Any number of these may run side by side, on any machines: the task engine claims each task
for one worker (SKIP LOCKED on PostgreSQL, an exclusive transaction on SQLite), and what a task
does is decided under the call-out's own row locks. A worker killed mid-task leaves its task
"running" (django-tasks-db recovers nothing): the recovery sweep, run when a worker starts and
after each ring sweep, enqueues again whatever such a task had left undone, and marks the task
failed once its lease has run out (callouts.lost_tasks).
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks_db.management.commands.db_worker import Worker

from callouts.lost_tasks import fail_lost_tasks
from callouts.services.bridging import recover_bridge_joins
from callouts.services.overstaying import hang_up_overstaying
from callouts.services.recovery import recover
from calls.background import run_worker
from calls.services import resend_pending_invitations
from calls.services.reconciling import reconcile_live_calls
from calls.services.unplaced import place_unplaced
from escalations.services.recovery import recover_escalations
from integrations.services.recovery import recover_alerts
from reminders.services.firing import recover_reminders
from webhooks.services.recovery import recover_deliveries

logger = logging.getLogger(__name__)
# How long the task thread sleeps when no task is ready: a wake-up at a start slot, or a freed
# line's pacing, is late by at most this much (at 0.1 s a freed line idled ~0.05 s more, on
# calls of 2 s in bench.callout). Each look is one short exclusive transaction on SQLite.
TASK_POLL_SECONDS = 0.03
# How long stopping waits for a task in progress (a create-call, say) before leaving it.
STOP_TIMEOUT_SECONDS = 15.0


class TaskThread:
    """django-tasks-db's Worker, run on a thread: every queue, polling every `interval`."""

    def __init__(self, *, interval: float = TASK_POLL_SECONDS) -> None:
        self.worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=False,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        # A daemon: a task stuck past STOP_TIMEOUT_SECONDS does not keep the process alive.
        self._thread = threading.Thread(target=self._run, name="tasks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Let the task in progress finish, then stop; False if it did not within `timeout`."""
        self.ask_to_stop()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def ask_to_stop(self) -> None:
        """Take no task after the one in progress (stop() waits for that)."""
        self.worker.running = False

    def _run(self) -> None:
        try:
            while self.worker.running:
                try:
                    self.worker.run()  # returns once `running` is cleared
                except Exception:  # e.g. the database went away: keep serving once it is back
                    logger.exception("The task worker failed; starting again in a second.")
                    connection.close()
                    time.sleep(1)
        finally:
            connection.close()


def recover_and_log() -> None:
    """Run the recovery sweeps (call-outs, webhooks), logging what they enqueued again."""
    recovered = recover()
    if recovered:
        logger.warning(
            "Recovered work of a worker that stopped: %d create-calls and %d pacings enqueued "
            "again.",
            recovered.placements,
            recovered.pacings,
        )
    resent = recover_deliveries()
    if resent:
        logger.warning("Recovered %d webhook deliveries a stopped worker held.", resent)


# The worker's share of each ring sweep, in order: each finds the work of its own rows that a
# stopped process left (or that outstays), does it, and says how much; the log line says what.
SWEEPS: tuple[tuple[Callable[[], int], int, str], ...] = (
    (hang_up_overstaying, logging.INFO, "Hung up %d call-out calls that outstayed their answer."),
    (recover_escalations, logging.WARNING, "Recovered %d escalations whose step task was lost."),
    (recover_alerts, logging.WARNING, "Recovered %d alerts a stopped worker left queued."),
    (recover_reminders, logging.WARNING, "Enqueued again %d reminder firings a worker held."),
    (resend_pending_invitations, logging.WARNING, "Sent again %d invitations nobody confirmed."),
    (recover_bridge_joins, logging.WARNING, "Recovered %d people's wish to join the bridge."),
    (place_unplaced, logging.WARNING, "Placed %d calls stored but never dialled."),
    (fail_lost_tasks, logging.WARNING, "Marked failed %d tasks a stopped worker held."),
)


def after_ring_sweep() -> None:
    """The worker's share of each ring sweep: recover lost work (recover_and_log), then every
    sweep of SWEEPS; one that fails is logged and does not keep the others from running."""
    recover_and_log()
    for sweep, level, said in SWEEPS:
        try:
            done = sweep()
        except Exception:  # the next ring sweep tries it again
            logger.exception("The sweep %s failed.", sweep.__name__)
            continue
        if done:
            logger.log(level, said, done)


async def run_worker_process(*, task_interval: float = TASK_POLL_SECONDS) -> None:
    """Run the task threads, the callback applier (with APPLY_IN_WORKER; else web processes
    apply) and the ring sweep followed by after_ring_sweep, until cancelled; then let the task
    in progress finish."""
    # Callbacks may have been lost while no worker ran: ask the provider how each live call
    # stands (GA; calls.services.reconciling) before recovering anything.
    read = await database_sync_to_async(reconcile_live_calls)()
    if read:
        logger.info("Read %d live calls from the provider at start-up.", read)
    await database_sync_to_async(recover_and_log)()
    threads = [TaskThread(interval=task_interval) for _ in range(settings.WORKER_TASK_THREADS)]
    for thread in threads:
        thread.start()
    try:
        await run_worker(
            settings.WORKER_POLL_MS / 1000,
            apply=settings.APPLY_IN_WORKER,
            after_sweep=after_ring_sweep,
        )
    finally:
        for thread in threads:  # all at once: each finishes its task meanwhile
            thread.ask_to_stop()
        for thread in threads:
            if not await asyncio.to_thread(thread.stop):
                logger.warning("A task was still running after %s s; left.", STOP_TIMEOUT_SECONDS)
