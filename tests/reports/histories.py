"""Incidents with known histories, made through the services and the provider's callbacks
(posted to the app's callback endpoint) at times set by time-machine."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import time_machine

from callouts.models import Attempt, Callout
from callouts.policy import Rules
from calls.models import Call, CallMode
from calls.targets import resolve_targets
from incidents.models import Incident
from incidents.services import declare_incident, resolve_incident
from reports.models import CallRates
from tests.callouts.conftest import call_state, deliver, run_tasks, start_callout
from tests.provider_callbacks import callback

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
PSTN, VOIP = Decimal("0.0130"), Decimal("0.0040")
ACS_USER = "8:acs:resource_00000000-0000-0000-0000-000000000001"


def at(seconds: float, *, tick: bool = False) -> Any:
    return time_machine.travel(T0 + timedelta(seconds=seconds), tick=tick)


def set_rates() -> CallRates:
    return CallRates.objects.create(pstn_per_minute=PSTN, voip_per_minute=VOIP, currency="EUR")


def roster(call: Call, people: list[str]) -> dict[str, Any]:
    return callback("ParticipantsUpdated", call=call, people=people)


def tone(call: Call, key: str, who: str) -> dict[str, Any]:
    return callback("ToneReceived", call=call, key=key, who=who)


def _attempt(number: str, n: int) -> Attempt:
    return Attempt.objects.select_related("call").get(recipient__identifier=number, number=n)


def _answer(attempt: Attempt, when: float) -> None:
    call = attempt.call
    with at(when):
        deliver(call, call_state(call, "CallConnected"))
        deliver(call, roster(call, [attempt.recipient.identifier]))


def _press(attempt: Attempt, key: str, when: float) -> None:
    with at(when):
        deliver(attempt.call, tone(attempt.call, key, attempt.recipient.identifier))


def _hang_up(attempt: Attempt, when: float) -> None:
    with at(when):
        deliver(
            attempt.call, roster(attempt.call, []), call_state(attempt.call, "CallDisconnected")
        )


def _ring_out(attempt: Attempt, when: float) -> None:
    with at(when):
        call = attempt.call
        deliver(call, call_state(call, "CallDisconnected"))


CALLOUT_PEOPLE = [f"+1425555{n:04d}" for n in range(1000, 1005)]  # start_callout's numbers


def callout_history() -> Callout:
    """Five people, each phoned; in seconds after the declaration (T0):

    A answers at 10, presses 1 at 30, hangs up at 70.5 (a 60.5 s leg: 2 minutes);
    B answers at 20, presses 1 at 80, hangs up at 100 (80 s: 2 minutes);
    C does not answer at 25; tried again at 90, answers at 100, presses 1 at 200, hangs up at
    210 (110 s: 2 minutes); D answers at 15, presses 2 (cannot help) at 40, hangs up at 45
    (30 s: 1 minute); E rings out at 5 and at 95.
    """
    a, b, c, d, e = CALLOUT_PEOPLE
    with at(0):
        callout = start_callout(5, rules=Rules(max_attempts=2, retry_wait_seconds=60))
    with at(1, tick=True):
        run_tasks()  # the start slots come a microsecond apart: let the clock run
    _ring_out(_attempt(e, 1), 5)
    _answer(_attempt(a, 1), 10)
    _answer(_attempt(d, 1), 15)
    _answer(_attempt(b, 1), 20)
    _ring_out(_attempt(c, 1), 25)
    _press(_attempt(a, 1), "1", 30)
    _press(_attempt(d, 1), "2", 40)
    _hang_up(_attempt(d, 1), 45)
    _hang_up(_attempt(a, 1), 70.5)
    _press(_attempt(b, 1), "1", 80)
    with at(90, tick=True):
        run_tasks()  # the second attempts of C and E are due
    _ring_out(_attempt(e, 2), 95)
    _hang_up(_attempt(b, 1), 100)
    _answer(_attempt(c, 2), 100)
    _press(_attempt(c, 2), "1", 200)
    _hang_up(_attempt(c, 2), 210)
    with at(300, tick=True):
        run_tasks()
    with at(300):
        resolve_incident(incident=callout.incident, actor=None)
    callout.incident.refresh_from_db()
    return callout


BRIDGE_PEOPLE = ["+14255552001", "+14255552002", ACS_USER]


def bridge_history() -> Incident:
    """A bridge call: X joins at 5 and presses 1 at 7 (alone, so it is theirs), Y joins at 12,
    the ACS user Z is on from 30 to 31, X leaves at 50, Y at 90; resolved at 120.
    Legs: X 45 s (1 minute), Y 78 s (2 minutes), Z 1 s (1 VoIP minute)."""
    x, y, z = BRIDGE_PEOPLE
    with at(0):
        incident = declare_incident(
            title="Bridge",
            targets=resolve_targets(numbers=BRIDGE_PEOPLE),
            mode=CallMode.BRIDGE,
            declared_by=None,
        )
    call = incident.calls.get()
    steps: list[tuple[float, Callable[[], list[dict[str, Any]]]]] = [
        (2, lambda: [call_state(call, "CallConnected")]),
        (5, lambda: [roster(call, [x])]),
        (7, lambda: [tone(call, "1", x)]),
        (12, lambda: [roster(call, [x, y])]),
        (30, lambda: [roster(call, [x, y, z])]),
        (31, lambda: [roster(call, [x, y])]),
        (50, lambda: [roster(call, [y])]),
        (90, lambda: [roster(call, []), call_state(call, "CallDisconnected")]),
    ]
    for when, events in steps:
        with at(when):  # each envelope's eventTime is the time it is made
            deliver(call, *events())
    with at(120):
        resolve_incident(incident=incident, actor=None)
    incident.refresh_from_db()
    return incident
