"""The benchmarks' database side, run in a subprocess with the server's environment.

    python -m bench.data prepare   -> JSON: ids, the callback secret and a signed-in session
    python -m bench.data count ID  -> how many CallEvent rows call ID has
    python -m bench.data pending   -> how many stored events wait to be applied

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
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import Role  # noqa: E402
from accounts.services import assign_role  # noqa: E402
from bench.envelopes import JOINED_NUMBER, LEG, TOGGLED_NUMBER  # noqa: E402
from calls.models import Call, CallEvent, CallState, Participant, ParticipantState  # noqa: E402
from contacts.models import Contact  # noqa: E402
from incidents.models import Incident  # noqa: E402

# Everyone else on the call keeps ringing: the roster has the size of a small on-call group.
RINGING_NUMBERS = [f"+1425555{n:04d}" for n in range(200, 208)]


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
    client = Client()
    client.force_login(user)
    return {
        "incident_id": incident.pk,
        "call_id": call.pk,
        "secret": call.callback_secret,
        "session_cookie": f"{settings.SESSION_COOKIE_NAME}="
        + client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["prepare"]:
        print(json.dumps(prepare()))
    elif argv[:1] == ["count"] and len(argv) == 2:
        print(CallEvent.objects.filter(call_id=int(argv[1])).count())
    elif argv[:1] == ["pending"]:
        print(CallEvent.objects.filter(applied_at__isnull=True).count())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
