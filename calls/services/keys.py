"""Hearing keys: once a participant joins, ask the provider to report every key they press.

On GA, continuous DTMF recognition is started per participant, and its ToneReceived events
name who pressed; a key pressed before it started is dropped. The 2021 preview reports every
key on the call from the start (the client's start_continuous_dtmf does nothing there). The
request is made after the apply that saw the person join has committed, through `run_aside`
(calls.services.welcome), and a refusal becomes a timeline line. Each request is claimed first
(Participant.keys_listened_at), once: a request lost with its process (a worker killed after
the commit, or during the request: its claim lapses unanswered after CLAIM_LEASE) is made by
the sweep (listen_again_for_keys), by whichever process claims it.
Once the provider answered (accepted, or refused: the call must not stay silent), the call's
welcome prompt may play (Call.keys_answered_at, calls.services.welcome).
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calls.models import Call, CallState, Participant, ParticipantState
from calls.provider import provider_client, provider_request
from calls.provider_types import ProviderNotFound
from calls.services.welcome import CLAIM_LEASE, RunAside, play_welcome_prompt
from config.errors import DomainError
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry

KEYS_CONTEXT_PREFIX = "keys:"
# How long after a join the sweep takes its request for lost, and the most it makes per sweep.
LOST_AFTER = timedelta(seconds=10)
SWEEP_LIMIT = 50


def keys_context(participant: Participant) -> str:
    """The operation context of a participant's key recognition (its ToneReceived echo it)."""
    return f"{KEYS_CONTEXT_PREFIX}{participant.pk}"


def listen_for_keys_after_commit(
    call: Call, participant: Participant, *, provider_call_id: str, run_aside: RunAside
) -> None:
    """Once this transaction commits, have `run_aside` start reporting `participant`'s keys on
    the provider's call `provider_call_id` (the roster event's: it may beat the create-call
    response); a call already gone passes silently, any other refusal becomes a timeline line.
    The caller saves the participant with keys_listened_at and keys_answered_at None."""
    participant.keys_listened_at = participant.keys_answered_at = None

    def listen() -> None:
        _listen(call.incident_id, participant, provider_call_id)

    transaction.on_commit(lambda: run_aside(listen))


def listen_again_for_keys(*, now: datetime | None = None) -> int:
    """Make the requests that joins committed more than LOST_AFTER ago and nobody claimed, or
    whose claim lapsed unanswered (at most SWEEP_LIMIT); return how many. Safe from several
    processes: each is claimed once."""
    now = now or timezone.now()
    unclaimed = Q(keys_listened_at__isnull=True, joined_at__lt=now - LOST_AFTER)
    lost = (
        Participant.objects.filter(unclaimed | _lapsed(now))
        .filter(state=ParticipantState.JOINED, call__state=CallState.ESTABLISHED)
        .exclude(call__provider_call_id="")
        .select_related("call", "contact")[:SWEEP_LIMIT]
    )
    return sum(_listen(p.call.incident_id, p, p.call.provider_call_id) for p in list(lost))


def _lapsed(now: datetime) -> Q:
    # A claim whose process died before the provider answered (a worker killed mid-request).
    return Q(keys_listened_at__lt=now - CLAIM_LEASE, keys_answered_at__isnull=True)


def _listen(incident_id: int, participant: Participant, provider_call_id: str) -> bool:
    now = timezone.now()
    claimed = (
        Participant.objects.filter(pk=participant.pk, state=ParticipantState.JOINED)
        .filter(Q(keys_listened_at__isnull=True) | _lapsed(now))
        .update(keys_listened_at=now)
    )
    if not claimed:
        return False  # another process asked, or they left, or a newer join will ask
    gone = False
    try:
        gone = not _ask(participant, provider_call_id)
    except DomainError as exc:
        # The prompt plays all the same: a call that never plays its message helps nobody.
        text = f"{exc.message.rstrip('.')}; their keys go unheard."
        with transaction.atomic():
            add_timeline_entry(incident_id=incident_id, kind=TimelineKind.ERROR, text=text)
    answered = timezone.now()
    Participant.objects.filter(pk=participant.pk, keys_listened_at=now).update(
        keys_answered_at=answered
    )
    if gone:
        return True  # the call or the person is gone: nothing to hear or play to
    # The first answer on the call is what the welcome prompt waits for (on a bridge it does
    # not wait for everyone); if the call is established already, this trigger is the second.
    Call.objects.filter(pk=participant.call_id, keys_answered_at__isnull=True).update(
        keys_answered_at=answered
    )
    play_welcome_prompt(call_id=participant.call_id)
    return True


def _ask(participant: Participant, provider_call_id: str) -> bool:
    # Whether the provider took the request; False if the call or the person is gone.
    with provider_request(f"listen for {participant}'s keys"):
        try:
            provider_client().start_continuous_dtmf(
                provider_call_id,
                target=participant.identifier,
                operation_context=keys_context(participant),
            )
        except ProviderNotFound:
            return False
    return True
