"""The crash benchmark's database side (bench.crash), run with the server's environment.

python -m bench.crash_data escalation-policy STEP1 STEP2 WAIT
    -> the id of a policy of two call-out steps (comma-separated numbers), WAIT s apart
python -m bench.crash_data verdict
    -> JSON: the attempts per person over every call-out, the incidents per title, and
       the work left stuck (rows pending, dialling or terminating; tasks running)
"""

import json
import os
import sys
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult, get_date_max  # noqa: E402

from callouts.models import Attempt, Callout, CalloutState, Recipient, RecipientStatus  # noqa: E402
from calls.models import Call, CallMode, CallState  # noqa: E402
from escalations.models import (  # noqa: E402
    Escalation,
    EscalationPolicy,
    EscalationState,
    EscalationStep,
)
from incidents.models import IdempotencyKey, Incident  # noqa: E402


def escalation_policy(first: list[str], second: list[str], wait: int) -> int:
    policy = EscalationPolicy.objects.create(name="Crash", ack_quorum=1)
    for position, targets in enumerate((first, second), start=1):
        EscalationStep.objects.create(
            policy=policy,
            position=position,
            targets=targets,
            mode=CallMode.BROADCAST,
            wait_seconds=wait,
        )
    return policy.pk


def verdict() -> dict[str, object]:
    attempts = Counter(Attempt.objects.values_list("recipient__identifier", flat=True).iterator())
    titles = Counter(Incident.objects.values_list("title", flat=True))
    now = timezone.now()
    stuck = {
        "recipients pending or dialling": Recipient.objects.filter(
            status__in=(RecipientStatus.PENDING, RecipientStatus.DIALLING)
        ).count(),
        "attempts not ended": Attempt.objects.filter(ended_at__isnull=True).count(),
        "calls not ended": Call.objects.exclude(
            state__in=(CallState.TERMINATED, CallState.FAILED)
        ).count(),
        "call-outs running": Callout.objects.filter(state=CalloutState.RUNNING).count(),
        "escalations running": Escalation.objects.filter(state=EscalationState.RUNNING).count(),
        "tasks running": DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count(),
        "tasks due, not taken": DBTaskResult.objects.filter(
            Q(run_after__lte=now) | Q(run_after=get_date_max()), status=TaskResultStatus.READY
        ).count(),
        "idempotency keys unanswered": IdempotencyKey.objects.filter(
            response_status__isnull=True
        ).count(),
    }
    return {"attempts": dict(attempts), "titles": dict(titles), "stuck": stuck}


def main(argv: list[str]) -> None:
    if argv[:1] == ["escalation-policy"] and len(argv) == 4:
        print(escalation_policy(argv[1].split(","), argv[2].split(","), int(argv[3])))
    elif argv == ["verdict"]:
        print(json.dumps(verdict()))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
