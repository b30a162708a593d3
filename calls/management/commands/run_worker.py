import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from calls.background import run_worker


class Command(BaseCommand):
    help = (
        "Apply stored provider events and sweep unanswered phones, for web processes started "
        "with APPLY_IN_WORKER=true. Run one or more; Ctrl-C stops."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Worker polling every {settings.WORKER_POLL_MS} ms.")
        try:
            asyncio.run(run_worker(settings.WORKER_POLL_MS / 1000))
        except KeyboardInterrupt:
            self.stdout.write("Worker stopped.")
