"""The benchmarks' database side, run in a subprocess with the server's environment.

    python -m bench.data prepare   -> JSON: ids, the callback secret and a signed-in session
    python -m bench.data count ID  -> how many CallEvent rows call ID has
    python -m bench.data pending   -> how many stored events wait to be applied
    python -m bench.data queues    -> JSON: the task queue's ready and running rows, and the
                                      stored events waiting to be applied
    python -m bench.data callout-pool NUMBERS LIMIT ATTEMPTS WAIT [WINDOW]
                                   -> JSON: a call-out operator (signed in), NUMBERS caller
                                      numbers of LIMIT calls each, a default policy (ATTEMPTS
                                      tries, WAIT s apart, an answer window of WINDOW s) and a
                                      default prompt
    python -m bench.data attempts ID -> JSON: incident ID's recipients, each with its attempts'
                                      outcomes
    python -m bench.data people ID -> JSON: incident ID's recipients, each with its status and
                                      whether the app saw any of its calls answered

Kept apart from the load generators, which never import Django.
"""

import json
import os
import sys
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks import TaskResultStatus  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from accounts.roles import Role  # noqa: E402
from accounts.services import assign_role  # noqa: E402
from bench.envelopes import JOINED_NUMBER, LEG, TOGGLED_NUMBER  # noqa: E402
from callouts.models import Attempt, CallerNumber, CalloutPolicy, Recipient  # noqa: E402
from calls.models import (  # noqa: E402
    AudioPrompt,
    Call,
    CallEvent,
    CallState,
    Participant,
    ParticipantState,
)
from calls.services.prompts import save_prompt  # noqa: E402
from contacts.models import Contact  # noqa: E402
from incidents.management.commands.seed_demo import (  # noqa: E402
    DEFAULT_PROMPT_FILE,
    DEFAULT_PROMPT_NAME,
)
from incidents.models import Incident  # noqa: E402

# Everyone else on the call keeps ringing: the roster has the size of a small on-call group.
RINGING_NUMBERS = [f"+1425555{n:04d}" for n in range(200, 208)]
CALLOUT_OPERATOR = "bench-callout"
FIRST_CALLER_NUMBER = 14255550300


@transaction.atomic
def prepare() -> dict[str, object]:
    """An operator, and an incident whose established call has one person on it."""
    user = User.objects.create_user("bench-operator", "bench@example.com")
    assign_role(user=user, role=Role.OPERATOR)
    incident = Incident.objects.create(title="Benchmark incident", declared_by=user)
    call = Call.objects.create(incident=incident, provider_call_id=LEG, state=CallState.ESTABLISHED)
    for name, number in [("Ada Lovelace", JOINED_NUMBER), ("Grace Hopper", TOGGLED_NUMBER)]:
        contact = Contact.objects.create(name=name, phone_number=number)
        Participant.objects.create(call=call, contact=contact, identifier=number)
    Participant.objects.filter(call=call, identifier=JOINED_NUMBER).update(
        state=ParticipantState.JOINED,
        provider_participant_id=f"pid-{JOINED_NUMBER}",
        joined_at=timezone.now() - timedelta(minutes=1),
    )
    Participant.objects.bulk_create(
        Participant(call=call, identifier=n, state=ParticipantState.RINGING)
        for n in RINGING_NUMBERS
    )
    return {
        "incident_id": incident.pk,
        "call_id": call.pk,
        "secret": call.callback_secret,
        "session_cookie": session_cookie(user),
    }


def session_cookie(user: User) -> str:
    """A Cookie header value that signs `user` in (for the dashboards' WebSockets)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@transaction.atomic
def callout_pool(
    numbers: int, limit: int, attempts: int, wait: int, window: int | None = None
) -> dict[str, object]:
    """An operator to declare call-outs, the pool of caller numbers, the default policy, and
    the demo's default prompt (press 1 to acknowledge)."""
    user = User.objects.create_user(CALLOUT_OPERATOR)
    assign_role(user=user, role=Role.OPERATOR)
    pool = [f"+{FIRST_CALLER_NUMBER + n}" for n in range(numbers)]
    CallerNumber.objects.bulk_create(
        CallerNumber(number=number, max_simultaneous_calls=limit) for number in pool
    )
    policy = CalloutPolicy(
        name="Benchmark", max_attempts=attempts, retry_wait_seconds=wait, is_default=True
    )
    if window is not None:
        policy.answer_window_seconds = window
    policy.save()
    with DEFAULT_PROMPT_FILE.open("rb") as wav:
        prompt = AudioPrompt(name=DEFAULT_PROMPT_NAME, is_default=True)
        save_prompt(prompt=prompt, audio=File(wav, name=DEFAULT_PROMPT_FILE.name))
    return {"username": user.username, "pool": pool, "session_cookie": session_cookie(user)}


def attempts(incident_id: int) -> dict[str, list[str]]:
    """Each recipient of the incident's call-out, with the outcome of each attempt in order
    ("" while one is still going on)."""
    tried: dict[str, list[str]] = {}
    rows = Attempt.objects.filter(recipient__callout__incident_id=incident_id).order_by(
        "recipient_id", "number"
    )
    for identifier, outcome in rows.values_list("recipient__identifier", "outcome"):
        tried.setdefault(identifier, []).append(outcome)
    return tried


def people(incident_id: int) -> dict[str, dict[str, object]]:
    """Each recipient of the incident's call-out: its status, and whether the app saw any of
    its calls answered (the attempt's answer, or the person on the call)."""
    seen: dict[str, dict[str, object]] = {}
    recipients = Recipient.objects.filter(callout__incident_id=incident_id)
    for identifier, status in recipients.values_list("identifier", "status"):
        seen[identifier] = {"status": status, "answered": False}
    answered = Attempt.objects.filter(recipient__callout__incident_id=incident_id).filter(
        Q(answered_at__isnull=False) | Q(call__participants__joined_at__isnull=False)
    )
    for identifier in answered.values_list("recipient__identifier", flat=True):
        seen[identifier]["answered"] = True
    return seen


def queues() -> dict[str, int]:
    """What waits: tasks ready (due or not) and running, and events stored but not applied."""
    tasks = DBTaskResult.objects
    return {
        "tasks_ready": tasks.filter(status=TaskResultStatus.READY).count(),
        "tasks_running": tasks.filter(status=TaskResultStatus.RUNNING).count(),
        "events_pending": CallEvent.objects.filter(applied_at__isnull=True).count(),
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["prepare"]:
        print(json.dumps(prepare()))
    elif argv[:1] == ["count"] and len(argv) == 2:
        print(CallEvent.objects.filter(call_id=int(argv[1])).count())
    elif argv[:1] == ["pending"]:
        print(CallEvent.objects.filter(applied_at__isnull=True).count())
    elif argv == ["queues"]:
        print(json.dumps(queues()))
    elif argv[:1] == ["callout-pool"] and len(argv) in (5, 6):
        print(json.dumps(callout_pool(*(int(a) for a in argv[1:]))))
    elif argv[:1] == ["attempts"] and len(argv) == 2:
        print(json.dumps(attempts(int(argv[1]))))
    elif argv[:1] == ["people"] and len(argv) == 2:
        print(json.dumps(people(int(argv[1]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
