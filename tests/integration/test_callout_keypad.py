"""A call-out's keypad through the whole stack: daphne, the embedded emulator, real HTTP.

The person presses 9: the emulator fetches and plays the spoken confirmation the app serves,
the app hangs up on its PlayResult, and the call's end rings the person into a new bridge call.
The attempt is placed from a shell here (the pacer is not what this test is about).
"""

import json
import time
from typing import Any

import httpx

from tests.live_server import LiveServer

NUMBER = "+14255550177"
PLACE_ONE_ATTEMPT = """
import json
from django.utils import timezone
from callouts.models import Attempt, CallerNumber
from calls.models import AudioPrompt, CallMode
from calls.services import place_call, prepare_calls
from calls.targets import Target
from incidents.services import declare_incident
incident = declare_incident(
    title="Keypad", targets=[Target("{number}", None)], mode=CallMode.BROADCAST, declared_by=None
)
recipient = incident.callout.recipients.get()
(call,) = prepare_calls(
    incident=incident, targets=[Target(recipient.identifier, None)], mode=CallMode.BROADCAST,
    prompt=AudioPrompt.objects.get(is_default=True),
)
attempt = Attempt.objects.create(
    recipient=recipient, number=1, call=call, scheduled_at=timezone.now(),
    caller_number=CallerNumber.objects.get_or_create(number="+14255550100")[0],
    claimed_at=timezone.now(),
)
recipient.status = "dialling"
recipient.attempts_made = 1
recipient.save()
place_call(call=call)
print(json.dumps({{"incident": incident.pk, "attempt": attempt.pk}}))
"""
READ_BACK = """
import json
from callouts.models import Attempt
from calls.models import Call
attempt = Attempt.objects.select_related("recipient", "call").get(pk={attempt})
bridges = Call.objects.filter(incident_id={incident}, mode="bridge")
print(json.dumps({{
    "outcome": attempt.outcome, "keys": attempt.keys, "status": attempt.recipient.status,
    "call": attempt.call.state,
    "bridge": [[p.identifier, p.state] for b in bridges for p in b.participants.all()],
    "timeline": list(attempt.call.incident.timeline.values_list("text", flat=True)),
}}))
"""


def _shell(server: LiveServer, code: str) -> Any:
    """What `code` printed last, as JSON (the shell prints what it imported first)."""
    return json.loads(server.manage("shell", "-c", code).strip().splitlines()[-1])


def _read_back(server: LiveServer, ids: dict[str, int]) -> dict[str, Any]:
    seen: dict[str, Any] = _shell(server, READ_BACK.format(**ids))
    return seen


def test_pressing_9_confirms_aloud_ends_the_call_and_rings_them_into_a_new_bridge(
    daphne_server: LiveServer,
) -> None:
    emulator = httpx.Client(base_url=f"{daphne_server.url}/acs-emulator/emulator", timeout=10)
    emulator.post("/reset").raise_for_status()
    behaviour = {"outcome": "answer", "answerAfterMs": 500, "tones": "9", "tonesAfterMs": 5000}
    emulator.put(f"/behaviours/{NUMBER.replace('+', '%2B')}", json=behaviour).raise_for_status()
    ids = _shell(daphne_server, PLACE_ONE_ATTEMPT.format(number=NUMBER))
    deadline = time.monotonic() + 30
    seen = _read_back(daphne_server, ids)
    while seen["bridge"] != [[NUMBER, "joined"]] and time.monotonic() < deadline:
        time.sleep(0.3)
        seen = _read_back(daphne_server, ids)
    assert seen["bridge"] == [[NUMBER, "joined"]], seen
    assert (seen["outcome"], seen["keys"], seen["status"]) == ("acknowledged", "9", "acknowledged")
    # The emulator fetched the confirmation from the app and played it to its end.
    timeline = seen["timeline"]
    confirmed = timeline.index(
        "The system confirmed the answer (acknowledged and asked to join the bridge call) aloud."
    )
    assert "The audio finished playing." in timeline[confirmed:]
    # The person never hangs up (their behaviour stays on the line): the app ended the call.
    assert seen["call"] == "terminated"
