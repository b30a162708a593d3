"""One of two pacers racing over one database (tests/callouts/test_two_workers.py starts them).

`python -m tests.callouts.race setup N` stores a call-out of N people and a pool of two numbers
of two calls each, and prints its id. `python -m tests.callouts.race work ID` then paces it and
ends one call in flight at a time, as fast as it can, until the call-out has finished; after
every step it counts the calls in flight per number as committed, and prints the most it saw.
`python -m tests.callouts.race report ID` prints the call-out's attempts. (Setup migrates.)
"""

import json
import os
import random
import sys
from typing import Any

import django


def setup(people: int) -> int:
    from django.core.management import call_command
    from django.db import transaction

    from callouts.models import CallerNumber, Callout, StartClock
    from callouts.policy import Rules
    from calls.models import CallMode
    from calls.targets import resolve_targets
    from incidents.services import declare_incident

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        Callout.objects.all().delete()
        CallerNumber.objects.all().delete()
        StartClock.objects.all().delete()
        for number in ("+14255550001", "+14255550002"):
            CallerNumber.objects.create(number=number, max_simultaneous_calls=2)
    incident = declare_incident(
        title="Race",
        targets=resolve_targets(numbers=[f"+1425555{n:04d}" for n in range(1000, 1000 + people)]),
        mode=CallMode.BROADCAST,
        rules=Rules(max_attempts=2, retry_wait_seconds=0),
        declared_by=None,
    )
    return Callout.objects.get(incident=incident).pk


def work(callout_id: int) -> dict[str, int]:
    from django.db import transaction
    from django.db.models import Count, Q

    from callouts.models import Attempt, CallerNumber, Callout, Outcome
    from callouts.services.pacing import plan_round
    from callouts.services.settling import settle_attempt

    most: dict[str, int] = {}
    steps = 0
    while Callout.objects.get(pk=callout_id).is_running and steps < 2000:
        steps += 1
        plan_round(callout_id=callout_id)  # the calls are never placed here
        in_flight = CallerNumber.objects.annotate(
            n=Count("attempts", filter=Q(attempts__ended_at__isnull=True))
        ).values_list("number", "n")
        for number, n in in_flight:
            most[number] = max(most.get(number, 0), n)
        with transaction.atomic():
            flying = list(
                Attempt.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(recipient__callout_id=callout_id, ended_at__isnull=True)
                .order_by("pk")[:4]
            )
            if flying:
                settle_attempt(attempt=random.choice(flying), outcome=Outcome.NO_ANSWER)  # noqa: S311
    return most


def report(callout_id: int) -> dict[str, Any]:
    from callouts.models import Attempt, Callout

    callout = Callout.objects.get(pk=callout_id)
    attempts = Attempt.objects.filter(recipient__callout=callout).values_list(
        "recipient_id", "number", "caller_number__number", "created_at", "ended_at", "scheduled_at"
    )
    return {
        "state": callout.state,
        "statuses": sorted(set(callout.recipients.values_list("status", flat=True))),
        "attempts": [
            [recipient, number, caller, *(t.isoformat() if t else None for t in times)]
            for recipient, number, caller, *times in attempts
        ],
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    role, arg = sys.argv[1], int(sys.argv[2])
    print(json.dumps({"setup": setup, "work": work, "report": report}[role](arg)))
