from typing import Any

from django.core.management.base import BaseCommand

from calls.services import expire_unanswered


class Command(BaseCommand):
    help = "Mark people whose phone has rung longer than RING_TIMEOUT_SECONDS as not answering."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{expire_unanswered()} participants marked as not answering.")
