import asyncio
import contextlib
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from callouts.worker import TASK_POLL_SECONDS, run_worker_process


class Command(BaseCommand):
    help = (
        "Run background work: the call-outs' tasks (pacing, dialling, retries) from the task "
        "database, the ring sweep and, with APPLY_IN_WORKER, applying stored provider events. "
        "Run one or more; Ctrl-C or SIGTERM stops after the task in progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--task-interval",
            type=float,
            default=TASK_POLL_SECONDS,
            help="Seconds between looks for a ready task when none is (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        applying = "applies stored events" if settings.APPLY_IN_WORKER else "web processes apply"
        self.stdout.write(f"Worker running tasks ({applying}); Ctrl-C stops.")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_until_stopped(options["task_interval"]))
        self.stdout.write("Worker stopped.")


async def _until_stopped(task_interval: float) -> None:
    # SIGTERM too: `make run` stops its worker so (a shell's background job ignores SIGINT).
    main = asyncio.create_task(run_worker_process(task_interval=task_interval))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await main
