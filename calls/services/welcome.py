"""The welcome prompt: once a call is established, it plays the call's prompt on a loop.

On GA a key pressed before the app listens for it is dropped (calls.services.keys), so there
the prompt also waits until the provider answered a request to hear someone's keys
(Call.keys_answered_at): the message never starts before its keys can be heard. The two
triggers, the call established (applying) and keys answered (keys), come in either order,
possibly in different processes; each tries, and the claim (Call.welcome_claimed_at, one
conditional UPDATE that also checks the other's fact) lets whichever comes second play, once;
if that one's process dies before or during the play, the sweep plays it
(play_lost_welcome_prompts): a claim not done with in CLAIM_LEASE lapses.
On a bridge the first person whose keys are answered lets it play: it never waits for all.

Playing is a provider request, made after the apply that saw the call established has
committed, and handed to `run_aside`: the callback pipeline passes its own, so that the request
never holds up the pipeline's thread; elsewhere it runs at once (run_now).
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from callouts.selectors import answer_recorded
from calls.models import Call, CallState, MediaState
from calls.provider import provider_hears_keys_from_start
from calls.services.actions import cancel_media, play_prompt
from config.errors import DomainError
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry

# Runs a provider request that follows an apply: run_now, or the pipeline's run_aside.
RunAside = Callable[[Callable[[], None]], None]
# How long after a call's keys were answered the sweep takes its unclaimed prompt for lost,
# and the most it plays per sweep.
PROMPT_LOST_AFTER = timedelta(seconds=10)
SWEEP_LIMIT = 50
# A claim on a provider request (a play here, a keys request in calls.services.keys) not done
# with after this long died with its process and may be claimed again: longer than the
# provider client's worst case (three tries of a 10 s timeout, plus backoff).
CLAIM_LEASE = timedelta(seconds=60)


def run_now(work: Callable[[], None]) -> None:
    work()


def play_welcome_prompt_after_commit(call: Call, run_aside: RunAside) -> None:
    """Once this transaction commits, have `run_aside` play the call's prompt, if it may yet
    (play_welcome_prompt)."""

    def play() -> None:
        play_welcome_prompt(call_id=call.pk)

    transaction.on_commit(lambda: run_aside(play))


def play_welcome_prompt(*, call_id: int) -> bool:
    """Play call `call_id`'s prompt on a loop if it is established, has a prompt, is not claimed
    (or its claim lapsed unfinished) and (on GA) someone's keys were answered; return whether
    this claimed it. Once done it is never tried again: nothing plays if the call already plays
    something or a key beat it, and a refusal becomes a timeline line."""
    # Each trigger wrote its own fact and committed before this runs, so of two racing
    # triggers at least the second sees both; the claim keeps both from playing.
    now = timezone.now()
    claimed = (
        _may_play()
        .filter(pk=call_id)
        .filter(Q(welcome_claimed_at__isnull=True) | _lapsed(now))
        .update(welcome_claimed_at=now)
    )
    if not claimed:
        return False
    fresh = Call.objects.select_related("prompt").get(pk=call_id)
    try:
        _play_unless_needless(fresh)
    except DomainError as exc:
        with transaction.atomic():
            add_timeline_entry(
                incident_id=fresh.incident_id, kind=TimelineKind.ERROR, text=exc.message
            )
    Call.objects.filter(pk=call_id, welcome_claimed_at=now).update(welcome_done_at=timezone.now())
    return True


def _play_unless_needless(call: Call) -> None:
    if call.prompt is None or call.media_state != MediaState.IDLE:
        return
    if answer_recorded(call.pk):
        return  # a key beat the prompt: its confirmation plays instead
    play_prompt(call=call, prompt=call.prompt, loop=True, actor=None)
    # The key's cancel-then-confirm runs on another thread (or process) and may have gone out
    # before this play arrived: the prompt would loop ahead of the queued confirmation for
    # ever. Cancel both; the cancelled confirmation ends the call.
    if answer_recorded(call.pk):
        cancel_media(call=call, actor=None)


def _may_play() -> QuerySet[Call]:
    heard = Q() if provider_hears_keys_from_start() else Q(keys_answered_at__isnull=False)
    return Call.objects.filter(heard, state=CallState.ESTABLISHED, prompt__isnull=False)


def _lapsed(now: datetime) -> Q:
    # A claim whose process died before it was done with the play (a worker killed mid-request).
    return Q(welcome_claimed_at__lt=now - CLAIM_LEASE, welcome_done_at__isnull=True)


def play_lost_welcome_prompts(*, now: datetime | None = None) -> int:
    """Play the prompts of established calls that nobody claimed though their keys were
    answered more than PROMPT_LOST_AFTER ago, or whose claim lapsed (the process that was to
    play it died; at most SWEEP_LIMIT); return how many were claimed. Safe from several
    processes: each is claimed once."""
    now = now or timezone.now()
    unclaimed = Q(welcome_claimed_at__isnull=True, keys_answered_at__lt=now - PROMPT_LOST_AFTER)
    lost = _may_play().filter(unclaimed | _lapsed(now)).values_list("pk", flat=True)
    return sum(play_welcome_prompt(call_id=pk) for pk in list(lost[:SWEEP_LIMIT]))
