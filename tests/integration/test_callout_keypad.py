"""A call-out's keypad through the whole stack: daphne, the embedded emulator, real HTTP.

The person presses 9: the emulator fetches and plays the spoken confirmation the app serves,
the app hangs up on its PlayResult, and the call's end rings the person into a new bridge call.
A person who presses 1 as soon as the message starts is heard, even when the app learns late
that they joined. The attempt is placed from a shell here (the pacer is not what this is about).
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
call.quiet = True  # as the pacer makes an attempt's call
call.save(update_fields=["quiet"])
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
    "played": [
        [e.event_type, e.payload] for e in attempt.call.events.all()
        if e.event_type.endswith(("PlayAudioResult", "PlayCompleted", "PlayFailed", "PlayCanceled"))
    ],
}}))
"""


def _lower(value: Any) -> dict[str, Any]:
    """The provider's dialects spell keys in PascalCase or camelCase."""
    return {str(k).lower(): v for k, v in value.items()}


def _play_outcome(event_type: str, data: dict[str, Any]) -> str:
    """The preview says it in `status` (PlayAudioResult); GA in the type (PlayCompleted...)."""
    if event_type.endswith("PlayAudioResult"):
        return str(data["status"])
    return event_type.rsplit(".", 1)[-1].removeprefix("Play")


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
    behaviour = {"outcome": "answer", "answerAfterMs": 500, "tones": "9", "tonesAfterMs": 20000}
    emulator.put(f"/behaviours/{NUMBER.replace('+', '%2B')}", json=behaviour).raise_for_status()
    ids = _shell(daphne_server, PLACE_ONE_ATTEMPT.format(number=NUMBER))
    deadline = time.monotonic() + 30
    seen = _read_back(daphne_server, ids)
    while seen["bridge"] != [[NUMBER, "joined"]] and time.monotonic() < deadline:
        time.sleep(0.3)
        seen = _read_back(daphne_server, ids)
    assert seen["bridge"] == [[NUMBER, "joined"]], seen
    assert (seen["outcome"], seen["keys"], seen["status"]) == ("acknowledged", "9", "acknowledged")
    # The emulator fetched the confirmation from the app and played it to its end: the
    # provider's events of the attempt's call are all stored, though none is in the timeline.
    results = [(kind, _lower(_lower(payload)["data"])) for kind, payload in seen["played"]]
    confirmations = [
        _play_outcome(kind, data)
        for kind, data in results
        if str(data.get("operationcontext")).startswith("confirm:")
    ]
    assert confirmations == ["Completed"]
    said = f"{NUMBER} acknowledged and asked to join the bridge call (attempt 1 of "
    answers = [line for line in seen["timeline"] if line.startswith(said)]
    assert len(answers) == 1 and answers[0].endswith(", key 9)."), seen["timeline"]
    assert not any("confirmed the answer" in line for line in seen["timeline"])
    # The person never hangs up (their behaviour stays on the line): the app ended the call.
    assert seen["call"] == "terminated"


def test_a_key_pressed_as_soon_as_the_message_starts_is_heard(daphne_server: LiveServer) -> None:
    # Every callback is held 1.5 s, so the person joins (and on GA the app can start listening
    # for their keys) 1.5 s after the call connects: a prompt played on connect would start
    # before anything listens, and their 1 would be dropped (as real ACS drops it).
    emulator = httpx.Client(base_url=f"{daphne_server.url}/acs-emulator/emulator", timeout=10)
    emulator.post("/reset").raise_for_status()
    faults = {"delayCallbackRate": 1, "delayCallbackMs": 1500}
    emulator.put("/faults", json=faults).raise_for_status()
    behaviour = {"tones": "1", "tonesAfter": "message", "tonesAfterMs": 200}
    emulator.put(f"/behaviours/{NUMBER.replace('+', '%2B')}", json=behaviour).raise_for_status()
    try:
        ids = _shell(daphne_server, PLACE_ONE_ATTEMPT.format(number=NUMBER))
        deadline = time.monotonic() + 30
        seen = _read_back(daphne_server, ids)
        while not seen["outcome"] and time.monotonic() < deadline:
            time.sleep(0.3)
            seen = _read_back(daphne_server, ids)
    finally:
        emulator.delete("/faults")
    assert (seen["outcome"], seen["keys"]) == ("acknowledged", "1"), seen
