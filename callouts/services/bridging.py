"""Putting someone who pressed "join the bridge" through to the incident's bridge call.

The 2021 dialect cannot move a person from one call to another: their call-out call ends (its
confirmation says so) and they are rung into the bridge. Into the bridge while it is connected
(an invitation); on a new bridge call, with them as its first participant, when the incident has
none. While one is still being set up (someone else pressed the key a moment before and their
phone is still ringing), the provider takes no invitation yet: try again shortly.

The wish is stored with the end of their call (Attempt.bridge_wanted_at) and settled once they
were rung, or told why not (bridge_settled_at): the bridge call or the invitation is itself
written down before it is sent (calls.services), so from then on its own sweeps see it through.
A wish a dead worker left unsettled is taken up again by recover_bridge_joins; running this
twice rings nobody twice (the incident's lock, the settled mark, and an invitation skips
someone already invited).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from callouts.models import Attempt
from callouts.tasks import is_queued, join_bridge
from calls.controls import is_connected
from calls.models import Call, CallMode, CallState
from calls.services import invite_to_call, place_call, prepare_calls
from calls.targets import Target
from config.errors import DomainError
from incidents.models import Incident, TimelineKind
from incidents.timeline import add_timeline_entry

# How long to wait for a bridge call being set up to connect, and how often to look.
BRIDGE_WAIT = timedelta(minutes=2)
BRIDGE_RETRY = timedelta(seconds=2)
_OVER = (CallState.FAILED, CallState.TERMINATING, CallState.TERMINATED)


def ring_into_bridge(*, attempt_id: int, give_up_at: datetime | None = None) -> Call | None:
    """Ring the person of the attempt into the incident's bridge call (see the module); return
    that call, or None when it is still being set up (a task tries again until `give_up_at`,
    default two minutes from now) or the incident has closed. A provider refusal is told in
    the timeline, not raised: nobody waits on this."""
    give_up_at = give_up_at or timezone.now() + BRIDGE_WAIT
    attempt = Attempt.objects.select_related("recipient__contact", "call").get(pk=attempt_id)
    recipient = attempt.recipient
    target = Target(recipient.identifier, recipient.contact)
    with transaction.atomic():
        # The incident's row lock: two people pressing the key at once make one bridge call,
        # and two runs for one person see each other's settled mark.
        incident = Incident.objects.select_for_update(no_key=True).get(pk=attempt.call.incident_id)
        if _settled(attempt_id):
            return None
        if not incident.is_open:
            _settle(attempt_id)
            return None  # closing it hung up every call; nobody is rung any more
        bridge = (
            incident.calls.filter(mode=CallMode.BRIDGE)
            .exclude(state__in=_OVER)
            .order_by("-created_at", "-id")
            .first()
        )
        created = bridge is None
        if bridge is None:
            (bridge,) = prepare_calls(
                incident=incident, targets=[target], mode=CallMode.BRIDGE, prompt=None
            )
            _settle(attempt_id)  # the stored bridge call is dialled by unplaced's sweep if not here
    try:
        if created:
            return place_call(call=bridge, actor=None)
        if is_connected(bridge):
            invite_to_call(call=bridge, targets=[target], actor=None)
            _settle(attempt_id)
            return bridge
    except DomainError as exc:
        _settle(attempt_id)
        _tell(incident, f"{recipient} asked to join the bridge call, not rung: {exc.message}")
        return None
    _wait_for(bridge, attempt_id=attempt_id, give_up_at=give_up_at, who=str(recipient))
    return None


def recover_bridge_joins(*, now: datetime | None = None) -> int:
    """Enqueue again the ringing into the bridge of everyone whose wish is unsettled a lease
    after it was stored and for whom no task waits (its worker died); return how many. A wish
    older than BRIDGE_WAIT gets one more try before it is given up."""
    now = now or timezone.now()
    lost = Attempt.objects.filter(
        bridge_settled_at__isnull=True,
        bridge_wanted_at__lt=now - timedelta(seconds=settings.CALLOUT_LEASE_SECONDS),
    ).order_by("pk")
    enqueued = 0
    for attempt in lost.only("pk", "bridge_wanted_at"):
        if not is_queued(join_bridge, attempt.pk):
            wanted_at = attempt.bridge_wanted_at or now
            give_up_at: datetime = max(wanted_at + BRIDGE_WAIT, now)
            join_bridge.enqueue(attempt.pk, give_up_at.isoformat())
            enqueued += 1
    return enqueued


def _settled(attempt_id: int) -> bool:
    return Attempt.objects.filter(pk=attempt_id, bridge_settled_at__isnull=False).exists()


def _settle(attempt_id: int) -> None:
    Attempt.objects.filter(pk=attempt_id, bridge_settled_at__isnull=True).update(
        bridge_settled_at=timezone.now()
    )


def _wait_for(bridge: Call, *, attempt_id: int, give_up_at: datetime, who: str) -> None:
    if timezone.now() >= give_up_at:
        _settle(attempt_id)
        _tell(
            bridge.incident,
            f"{who} asked to join the bridge call, which has not connected: ring them into it "
            "from its controls once it has.",
        )
        return
    join_bridge.using(run_after=timezone.now() + BRIDGE_RETRY).enqueue(
        attempt_id, give_up_at.isoformat()
    )


def _tell(incident: Incident, text: str) -> None:
    add_timeline_entry(incident_id=incident.pk, kind=TimelineKind.ERROR, text=text)
