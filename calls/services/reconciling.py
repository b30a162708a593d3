"""Reconciling with the provider when its callbacks are lost (README "Reliability").

A callback the provider never delivers leaves the app's view behind the phone network's. On
GA the app can ask: it reads the call (get call) and, while it is connected, who is on it (list
participants), and applies the answer as events through the applier's own forward-only rules
(calls.services.applying.apply_provider_reading): a person the provider lists joins, a call
it no longer knows (404) or reports disconnected ends. Reads happen only when an expected
event is overdue: before the ring timeout gives up on a ringing person (calls.services.ringing),
for a call establishing or terminating past an allowance (reconcile_stuck_calls, every sweep)
and for every live call when a worker starts (reconcile_live_calls). Each sweep reads at most
RECONCILE_READS_PER_SWEEP calls, those read longest ago first, so a thousand live calls cost
a bounded number of requests per sweep. The 2021 preview has no read: there the callbacks and
the ring timeout alone decide.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from calls import callback_events as ev
from calls.models import Call, CallState
from calls.provider import provider_client, provider_reads_calls
from calls.provider_interface import ProviderClient
from calls.provider_types import ProviderError, ProviderNotFound
from calls.services.applying import apply_provider_reading
from calls.services.write_queue import serialized_writes

logger = logging.getLogger(__name__)
# The provider's words for a call's state (GA CallConnectionState) and the app's event states.
_STATES = {
    "connecting": ev.CallState.ESTABLISHING,
    "connected": ev.CallState.ESTABLISHED,
    "transferring": ev.CallState.ESTABLISHED,
    "transferaccepted": ev.CallState.ESTABLISHED,
    "disconnecting": ev.CallState.TERMINATING,
    "disconnected": ev.CallState.TERMINATED,
}
LIVE = (CallState.ESTABLISHING, CallState.ESTABLISHED, CallState.TERMINATING)
READ_EVENT_TYPE = "Reconciled"  # what the events made from a read say they are, in logs


def reconcile_calls(call_ids: Iterable[int], *, limit: int | None = None) -> int:
    """Read each of these calls from the provider (those read longest ago first, at most
    `limit`, by default RECONCILE_READS_PER_SWEEP) and apply what it says; return how many
    were read and applied. A failed read (or apply) is logged and left for the next sweep.
    Raises nothing."""
    if not provider_reads_calls():
        return 0
    limit = settings.RECONCILE_READS_PER_SWEEP if limit is None else limit
    calls = _readable(Call.objects.filter(pk__in=list(call_ids)))[:limit]
    client = provider_client()
    return sum(_reconcile(client, call) for call in calls)


def reconcile_stuck_calls(*, now: datetime | None = None) -> int:
    """Read the calls whose expected event is overdue: establishing past the ring timeout and
    the allowance (RECONCILE_AFTER_SECONDS), terminating past the allowance, and not read
    within the allowance; return how many were read. Raises nothing."""
    if not provider_reads_calls():
        return 0
    now = now or timezone.now()
    allowance = timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    ringing = timedelta(seconds=settings.RING_TIMEOUT_SECONDS)
    stuck = Call.objects.filter(
        Q(state=CallState.ESTABLISHING, updated_at__lt=now - ringing - allowance)
        | Q(state=CallState.TERMINATING, updated_at__lt=now - allowance)
    ).filter(Q(reconciled_at__isnull=True) | Q(reconciled_at__lt=now - allowance))
    return reconcile_calls(stuck.values_list("pk", flat=True))


def reconcile_live_calls() -> int:
    """Read every live call (a worker starting: callbacks may have been lost while none ran)
    that has not moved within RECONCILE_AFTER_SECONDS, in pages of RECONCILE_READS_PER_SWEEP;
    return how many were read. Raises nothing.

    A call that moved just now has its callbacks on the way: read, one that has just ended is
    unknown (404) before its "connected" arrives, and an answered call would count as never
    answered (state only moves forward). The sweeps read it later if its events stay overdue."""
    if not provider_reads_calls():
        return 0
    started = timezone.now()
    quiet_since = started - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    read = 0
    while True:
        # Each read moves reconciled_at past `started`, so every page is a fresh one.
        unread = Call.objects.filter(state__in=LIVE, updated_at__lt=quiet_since).filter(
            Q(reconciled_at__isnull=True) | Q(reconciled_at__lt=started)
        )
        page = _readable(unread)[: settings.RECONCILE_READS_PER_SWEEP]
        ids = list(page.values_list("pk", flat=True))
        if not ids:
            return read
        done = reconcile_calls(ids)
        if not done:  # every read of the page failed: leave the rest to the sweeps
            return read
        read += done


def _readable(calls: QuerySet[Call]) -> QuerySet[Call]:
    return calls.exclude(provider_call_id="").order_by(
        F("reconciled_at").asc(nulls_first=True), "pk"
    )


def _reconcile(client: ProviderClient, call: Call) -> bool:
    """Read `call` and apply what the provider says; whether the read succeeded."""
    try:
        events = _read(client, call.provider_call_id)
    except ProviderError as exc:
        logger.warning("Could not read call %s from the provider: %s", call.pk, exc)
        return False
    try:
        with serialized_writes():
            apply_provider_reading(call_id=call.pk, events=events)
    except Exception:  # One call's bad moment (a locked database) must not stop the others.
        logger.exception("Applying what the provider said of call %s failed.", call.pk)
        return False
    logger.info(
        "Read call %s from the provider: %s",
        call.pk,
        ", ".join(_describe(e) for e in events) or "nothing to apply",
        extra={"call_id": call.pk},
    )
    return True


def _read(client: ProviderClient, call_id: str) -> list[ev.CallbackEvent]:
    """What the provider says of the call now, as the events that would have told it. Raises
    ProviderError (but not ProviderNotFound: a call the provider no longer knows has ended)."""
    now = timezone.now()
    try:
        info = client.get_call(call_id)
        state = _STATES.get(info.state)
        if state is None:
            return []  # "unknown": nothing to learn
        events: list[ev.CallbackEvent] = [_state_event(call_id, state, now, info.server_call_id)]
        if state == ev.CallState.ESTABLISHED:
            roster = tuple(
                ev.RosterEntry(p.identifier, p.participant_id, p.is_muted, p.is_on_hold)
                for p in client.list_participants(call_id)
            )
            events.append(
                ev.ParticipantsUpdated(
                    event_id=None,
                    event_time=now,
                    event_type=READ_EVENT_TYPE,
                    raw={},
                    call_id=call_id,
                    participants=roster,
                )
            )
        return events
    except ProviderNotFound:
        return [_state_event(call_id, ev.CallState.TERMINATED, now, None)]


def _state_event(
    call_id: str, state: ev.CallState, now: datetime, server_call_id: str | None
) -> ev.CallStateChanged:
    return ev.CallStateChanged(
        event_id=None,
        event_time=now,
        event_type=READ_EVENT_TYPE,
        raw={},
        call_id=call_id,
        state=state,
        server_call_id=server_call_id,
    )


def _describe(event: Any) -> str:
    if isinstance(event, ev.ParticipantsUpdated):
        return f"{len(event.participants)} on the call"
    return str(getattr(event, "state", event.event_type))
