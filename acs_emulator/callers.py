"""Calls per caller number, so that a test can prove pacing against the PSTN limit of ACS
(2 simultaneous outbound calls per number by default, reference section 5).

A call is in flight from `createdAt` (the create-call was accepted: ringing counts) up to, not
including, `endedAt` (the start of Terminating: the line is free again). Calls without a caller id
(to ACS users only) use no phone number and are not counted.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from acs_emulator.fields import JsonObject
from acs_emulator.state import Call


def callers_json(calls: Iterable[Call]) -> JsonObject:
    """Per caller number: calls placed, calls in flight now, and the most ever in flight at once."""
    changes: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for call in calls:
        if call.caller_id is None:
            continue
        moments = changes[call.caller_id.value]
        moments.append((call.created_at, 1))
        if call.ended_at is not None:
            moments.append((call.ended_at, -1))
    return {number: _count(moments) for number, moments in sorted(changes.items())}


def _count(moments: list[tuple[datetime, int]]) -> JsonObject:
    in_flight = peak = placed = 0
    # At one instant the end sorts before the start (-1 < 1): a call that ends exactly when the
    # next one starts does not overlap it.
    for _, change in sorted(moments):
        in_flight += change
        placed += change > 0
        peak = max(peak, in_flight)
    return {"calls": placed, "inFlight": in_flight, "peakInFlight": peak}
