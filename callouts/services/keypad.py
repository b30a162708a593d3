"""Keys pressed on a call-out's call: record the answer, confirm it aloud, end or connect.

The applier calls these inside the call's locked batch transaction (callouts.following). What
a key means comes from the call-out's keypad map (copied from its prompt, calls.keypad). The
first answering key counts: the attempt and the recipient record it at once, and the timeline
says it (callouts.services.telling); keys after it are recorded and change nothing. Every
provider request (stop the prompt, play the confirmation, hang up, ring into the bridge) is
handed to the batch's run_aside once the batch commits.

After an answer the looping prompt is cancelled and a short spoken confirmation plays once,
with an operation context naming the attempt and the answer; its PlayResult hangs the call up
(and, should that never happen, callouts.services.overstaying after CONFIRMATION_GRACE). For
"join the bridge" the end of the call (hung up by us, or by the person on hearing that they
will be called) rings them into the incident's bridge call (callouts.services.bridging).
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from callouts.events import broadcast_callout, broadcast_recipient
from callouts.models import Attempt, Callout, Outcome, RecipientStatus, StopReason
from callouts.services.bridging import ring_into_bridge
from callouts.services.stopping import stop_callout_after_commit
from callouts.services.telling import tell_answer
from callouts.services.waking import wake_waiting_callouts
from calls import callback_events as ev
from calls.controls import is_connected
from calls.keypad import ANSWERING_ACTIONS, KeyAction, key_action
from calls.models import CALL_STATE_RANK, Call, CallState
from calls.services.actions import cancel_media, play_prompt, play_spoken
from calls.services.call_batch import CallBatch
from calls.services.hanging_up import hang_up_each
from calls.spoken import Spoken
from config.errors import DomainError
from escalations.services.stopping import stop_escalation_if_acknowledged_after_commit
from incidents.events import broadcast_incident_listed
from incidents.models import TimelineKind
from incidents.timeline import add_timeline_entry
from webhooks.services.emitting import emit_incident_acknowledged

MAX_KEYS = Attempt._meta.get_field("keys").max_length or 50
CONFIRMATION = "confirm"  # operation contexts "confirm:<attempt id>:<action>:<uuid>"
# The confirmations last under 10 s. A call still up this long after its answer lost the way to
# its end (a worker killed between the key and the hang-up, say): callouts.services.overstaying
# hangs it up.
CONFIRMATION_GRACE = timedelta(seconds=30)

# What each answer records, what the timeline says of it, and what is said to the person.
_OUTCOMES = {
    KeyAction.ACKNOWLEDGE: (Outcome.ACKNOWLEDGED, RecipientStatus.ACKNOWLEDGED),
    KeyAction.DECLINE: (Outcome.DECLINED_BY_KEY, RecipientStatus.DECLINED),
    KeyAction.JOIN_BRIDGE: (Outcome.ACKNOWLEDGED, RecipientStatus.ACKNOWLEDGED),
    # Still being called until the call ends; settling then schedules their next try.
    KeyAction.CALL_BACK: (Outcome.CALL_BACK, RecipientStatus.DIALLING),
}
_SAID = {
    KeyAction.ACKNOWLEDGE: "acknowledged",
    KeyAction.DECLINE: "cannot help",
    KeyAction.JOIN_BRIDGE: "acknowledged and asked to join the bridge call",
    KeyAction.CALL_BACK: "asked to be called back later",
}
_CONFIRMATIONS = {
    KeyAction.ACKNOWLEDGE: Spoken.ACKNOWLEDGED,
    KeyAction.DECLINE: Spoken.DECLINED,
    KeyAction.JOIN_BRIDGE: Spoken.JOINING_BRIDGE,
    KeyAction.CALL_BACK: Spoken.CALLING_BACK,
}


def on_key(batch: CallBatch, attempt: Attempt, event: ev.ToneReceived) -> None:
    """The person on `attempt`'s call pressed a key."""
    attempt.keys = (attempt.keys + event.tone)[:MAX_KEYS]
    attempt.save(update_fields=["keys"])
    action = key_action(attempt.recipient.callout.keypad, event.tone)
    if attempt.outcome or action is None:
        return  # after an answer (or once cancelled), and a key the map does not name
    if action == KeyAction.REPLAY:
        _after_commit(batch, partial(_replay, batch.call.pk, attempt.pk))
    else:
        _answer(batch, attempt, action, event.tone)


def on_play_result(batch: CallBatch, attempt: Attempt, event: ev.PlayResult) -> None:
    """A play on `attempt`'s call finished, failed or was cancelled."""
    if _confirmed_action(event.operation_context, attempt) is None:
        return  # the prompt's own plays (a replay or our cancel ends one)
    # Whatever became of the confirmation (played, failed, or cut short by a cancel), it is
    # over and the answer is recorded: end the call. For "join the bridge", its end rings them.
    _after_commit(batch, partial(_hang_up, batch.call.pk, hung_up_after_answer(attempt)))


def on_call_state(batch: CallBatch, attempt: Attempt, event: ev.CallStateChanged) -> None:
    """The call moved: once it has ended, someone who asked to join the bridge is rung into it."""
    if event.state != ev.CallState.TERMINATED or attempt.outcome != Outcome.ACKNOWLEDGED:
        return
    if answering_action(attempt) == KeyAction.JOIN_BRIDGE and attempt.bridge_wanted_at is None:
        # Stored with the call's end, so a worker that dies before ringing them loses nothing.
        attempt.bridge_wanted_at = timezone.now()
        attempt.save(update_fields=["bridge_wanted_at"])
        _after_commit(batch, partial(ring_into_bridge, attempt_id=attempt.pk))


def hung_up_after_answer(attempt: Attempt) -> str:
    """What the timeline says of `attempt`'s call, hung up once its answer was recorded."""
    return f"Hung up {attempt.recipient}'s call: their answer is recorded."


def answering_action(attempt: Attempt) -> KeyAction | None:
    """The action of the first answering key the attempt recorded, if any."""
    keypad = attempt.recipient.callout.keypad
    for key in attempt.keys:
        action = key_action(keypad, key)
        if action in ANSWERING_ACTIONS:
            return action
    return None


def _answer(batch: CallBatch, attempt: Attempt, action: KeyAction, key: str) -> None:
    # The call-out's row lock makes concurrent acknowledgements count one after the other, so
    # the one that reaches the quorum sees all the others (the applier's order: call, attempt,
    # call-out).
    callout = Callout.objects.select_for_update(no_key=True).get(pk=attempt.recipient.callout_id)
    outcome, status = _OUTCOMES[action]
    attempt.outcome = outcome
    attempt.hang_up_at = timezone.now() + CONFIRMATION_GRACE
    attempt.save(update_fields=["outcome", "hang_up_at"])
    recipient = attempt.recipient
    recipient.status, recipient.next_attempt_at = status, None
    recipient.save(update_fields=["status", "next_attempt_at", "updated_at"])
    if outcome == Outcome.ACKNOWLEDGED:
        participant = batch.by_identifier().get(recipient.identifier)
        if participant is not None and not participant.acknowledged:
            participant.acknowledged = True
            batch.save_and_announce(participant, "acknowledged")
        broadcast_incident_listed(batch.call.incident)  # the list pages count who was reached
        emit_incident_acknowledged(
            incident=batch.call.incident,
            name=recipient.name,
            identifier=recipient.identifier,
            via="callout",
        )
        stop_escalation_if_acknowledged_after_commit(incident_id=batch.call.incident_id)
    tell_answer(attempt=attempt, callout=callout, said=_SAID[action], key=key)
    broadcast_recipient(recipient)
    broadcast_callout(callout)
    _after_commit(batch, partial(_confirm, batch.call.pk, attempt.pk, action))
    if outcome == Outcome.ACKNOWLEDGED and _quorum_reached(callout):
        stop_callout_after_commit(
            callout=callout, reason=StopReason.QUORUM, run_aside=batch.run_aside
        )


def _quorum_reached(callout: Callout) -> bool:
    if not callout.is_running or callout.quorum is None:
        return False
    acknowledged = callout.recipients.filter(status=RecipientStatus.ACKNOWLEDGED).count()
    return acknowledged >= callout.quorum


def _after_commit(batch: CallBatch, work: Callable[[], object]) -> None:
    transaction.on_commit(lambda: batch.run_aside(lambda: _told_if_refused(batch.call, work)))


def _told_if_refused(call: Call, work: Callable[[], object]) -> None:
    try:
        work()
    except DomainError as exc:
        with transaction.atomic():
            add_timeline_entry(
                incident_id=call.incident_id, kind=TimelineKind.ERROR, text=exc.message
            )


def _replay(call_id: int, attempt_id: int) -> None:
    call = Call.objects.select_related("prompt").get(pk=call_id)
    answered = Attempt.objects.filter(pk=attempt_id).exclude(outcome="").exists()
    if answered or call.prompt is None or not is_connected(call):
        return
    cancel_media(call=call, actor=None)
    play_prompt(call=call, prompt=call.prompt, loop=True, actor=None)


def _confirm(call_id: int, attempt_id: int, action: KeyAction) -> None:
    call = Call.objects.get(pk=call_id)
    if CALL_STATE_RANK[call.state] >= CALL_STATE_RANK[CallState.TERMINATING]:
        return  # they hung up: the call's end settles the rest (and rings them, for the bridge)
    if not is_connected(call):
        # The key's event overtook the call's "established" one: the provider would refuse a
        # play, and no PlayResult would end the call. The answer is recorded: end it now.
        _hang_up(call_id, "Hung up: the answer is recorded (the call was not connected yet).")
        return
    try:
        cancel_media(call=call, actor=None)  # the looping prompt
        play_spoken(
            call=call,
            spoken=_CONFIRMATIONS[action],
            operation_context=f"{CONFIRMATION}:{attempt_id}:{action.value}:{uuid.uuid4()}",
            says=f"The system confirmed the answer ({_SAID[action]}) aloud.",
        )
    except DomainError:
        # Without a confirmation there is no PlayResult to end the call on: end it now.
        _hang_up(call_id, "Hung up: the answer is recorded, but its confirmation did not play.")
        raise


def _hang_up(call_id: int, said: str) -> None:
    if not hang_up_each(Call.objects.filter(pk=call_id), actor=None, said=said):
        # Its line is free from now (callouts.services.pacing): the next call need not wait
        # for this one's last events.
        wake_waiting_callouts(now=timezone.now())


def _confirmed_action(context: str | None, attempt: Attempt) -> KeyAction | None:
    """The answer a confirmation's operation context names, if it is this attempt's."""
    parts = (context or "").split(":")
    if len(parts) != 4 or parts[0] != CONFIRMATION or parts[1] != str(attempt.pk):
        return None
    try:
        return KeyAction(parts[2])
    except ValueError:
        return None
