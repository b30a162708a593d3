"""What the emulator's list of calls says about a call-out: the start rate achieved, how long
a freed line stood idle, calls beyond each recipient's attempts, the busiest second. Pure
functions of the list (bench.callout fetches it), so tests/bench checks them on made-up lists."""

import statistics
import time
from collections import Counter
from datetime import datetime
from typing import Any

import httpx


def ledger_once_calls_end(phones: httpx.Client, within: float) -> dict[str, Any]:
    """The emulator's list of calls once none is in flight (the last confirmations play after
    a call-out has finished), or after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        ledger: dict[str, Any] = phones.get("/emulator/calls", params={"view": "summary"}).json()
        in_flight = sum(caller["inFlight"] for caller in ledger["callers"].values())
        if not in_flight or time.monotonic() > deadline:
            return ledger
        time.sleep(0.2)


def start_rate(calls: list[dict[str, Any]]) -> tuple[float, float]:
    """From the emulator's list of ended calls: calls created per second between the first
    creation and the last, and the mean time a call held its line (created to ended)."""
    created = sorted(_instant(c["createdAt"]) for c in calls)
    held = [(_instant(c["endedAt"]) - _instant(c["createdAt"])).total_seconds() for c in calls]
    return (len(created) - 1) / (created[-1] - created[0]).total_seconds(), statistics.fmean(held)


def handovers(calls: list[dict[str, Any]], limit: int) -> list[float]:
    """Seconds from each call's end, while its caller number was at its limit, to that
    number's next call: how long a freed line stood idle."""
    lines: dict[str, list[tuple[datetime, datetime]]] = {}
    for c in calls:
        lines.setdefault(c["callerId"], []).append(
            (_instant(c["createdAt"]), _instant(c["endedAt"]))
        )
    waits = []
    for held in lines.values():
        for _, end in held:
            busy = sum(1 for start, stop in held if start <= end < stop or stop == end)
            later = [start for start, _ in held if start >= end]
            if busy >= limit and later:
                waits.append((min(later) - end).total_seconds())
    return waits


def compare(calls: list[dict[str, Any]], tried: dict[str, list[str]]) -> tuple[int, int]:
    """Calls beyond each recipient's attempts, and attempts without a call."""
    per_target = Counter(target for c in calls for target in c["targets"])
    duplicates = sum(max(n - len(tried.get(t, [])), 0) for t, n in per_target.items())
    missing = sum(max(len(outcomes) - per_target[t], 0) for t, outcomes in tried.items())
    return duplicates, missing


def busiest_second(calls: list[dict[str, Any]]) -> int:
    """The most calls created within any one second."""
    created = sorted(_instant(c["createdAt"]) for c in calls)
    most, first = 0, 0
    for last, moment in enumerate(created):
        while (moment - created[first]).total_seconds() >= 1:
            first += 1
        most = max(most, last - first + 1)
    return most


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)
