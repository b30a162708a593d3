"""The keypad map on a call-out's call, driven by stored callbacks through the applier."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from callouts.models import Outcome, RecipientStatus
from callouts.services.bridging import recover_bridge_joins, ring_into_bridge
from callouts.tasks import join_bridge
from calls.models import Call, CallMode, CallState, MediaState, ParticipantState
from incidents.models import TimelineKind
from tests.callouts.conftest import queued
from tests.callouts.lines import Lines, answered, attempt_of, cancelled, played, state, tone
from tests.factories import (
    AttemptFactory,
    AudioPromptFactory,
    CallFactory,
    ParticipantFactory,
    RecipientFactory,
)
from tests.provider_fake import FakeProvider, fake_transport, operation

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


def connected_call(lines: Lines, provider: FakeProvider, **attempt: Any) -> Call:
    """A call-out call answered by its person, its prompt playing on a loop."""
    made = AttemptFactory.create(call__prompt=AudioPromptFactory.create(), **attempt)
    call: Call = made.call
    ParticipantFactory.create(
        call=call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    lines.run(lines.deliver(call, *answered(call)))  # the welcome prompt plays
    provider.requests.clear()
    return call


def confirmation_context(provider: FakeProvider) -> str:
    (play,) = provider.played()
    assert play.loop is False
    return play.context


def test_1_acknowledges_at_once_then_confirms_aloud_and_hangs_up_when_that_has_played(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    aside = lines.deliver(call, tone(call, "1"))
    # Recorded in the applier's transaction, before any provider request.
    attempt = attempt_of(call)
    assert (attempt.outcome, attempt.keys) == (Outcome.ACKNOWLEDGED, "1")
    assert attempt.recipient.status == RecipientStatus.ACKNOWLEDGED
    assert call.participants.get().acknowledged
    assert provider.operations() == []

    lines.run(aside)
    assert provider.operations() == ["cancel_media", "play"]
    assert set(provider.calls_asked("play")) == {call.provider_call_id}
    (play,) = provider.played()
    assert play.source.endswith("/calls/spoken/confirm-acknowledged.wav")
    context = confirmation_context(provider)
    assert context.startswith(f"confirm:{attempt.pk}:acknowledge:")

    # The looping prompt's cancellation is not the confirmation: the call stays up.
    lines.run(lines.deliver(call, cancelled(call, "play:1:x")))
    assert not provider.sent("terminate")
    lines.run(lines.deliver(call, played(call, context)))
    assert len(provider.sent("terminate")) == 1
    call.refresh_from_db()
    assert call.state == CallState.TERMINATING


def test_hanging_up_after_the_confirmation_wakes_the_pacer_for_the_line_it_frees(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    RecipientFactory.create(callout=attempt_of(call).recipient.callout)  # waits for a line
    lines.run(lines.deliver(call, tone(call, "1")))
    assert not queued("pace_callout")
    lines.run(lines.deliver(call, played(call, confirmation_context(provider))))
    assert len(provider.sent("terminate")) == 1
    assert len(queued("pace_callout")) == 1  # before the call's Terminated comes


def test_2_records_that_they_cannot_help_and_a_failed_confirmation_still_ends_the_call(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    lines.press(call, "2")
    attempt = attempt_of(call)
    assert attempt.outcome == Outcome.DECLINED_BY_KEY
    assert attempt.recipient.status == RecipientStatus.DECLINED
    assert not call.participants.get().acknowledged
    (play,) = provider.played()
    assert play.source.endswith("/calls/spoken/confirm-declined.wav")
    lines.run(lines.deliver(call, played(call, confirmation_context(provider), failed=True)))
    assert len(provider.sent("terminate")) == 1


def test_keys_after_the_answer_are_recorded_and_change_nothing(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    lines.press(call, "1")
    lines.press(call, "2", "9", "*")
    attempt = attempt_of(call)
    assert (attempt.outcome, attempt.keys) == (Outcome.ACKNOWLEDGED, "129*")
    assert attempt.recipient.status == RecipientStatus.ACKNOWLEDGED
    assert len(provider.sent("play")) == 1  # one confirmation, no replay


def test_keys_the_map_does_not_name_are_recorded_and_ignored(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    lines.press(call, "5", "#", "0")
    attempt = attempt_of(call)
    assert (attempt.outcome, attempt.keys) == ("", "5#0")
    assert attempt.recipient.status == RecipientStatus.DIALLING
    assert provider.operations() == []


def test_star_plays_the_prompt_again_from_the_start_on_a_loop(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    lines.press(call, "*")
    assert provider.operations() == ["cancel_media", "play"]
    (play,) = provider.played()
    assert play.loop is True
    assert play.source.endswith(f"/calls/prompts/{call.prompt_id}.wav")
    assert attempt_of(call).outcome == ""
    call.refresh_from_db()
    assert call.media_state == MediaState.PLAYING


def test_the_call_outs_own_map_says_which_key_acknowledges(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider, recipient__callout__keypad={"3": "acknowledge"})
    lines.press(call, "1")  # acknowledges on other calls, not under this map
    assert not call.participants.get().acknowledged
    assert attempt_of(call).outcome == ""
    lines.press(call, "3")
    assert call.participants.get().acknowledged
    assert attempt_of(call).outcome == Outcome.ACKNOWLEDGED
    line = call.incident.timeline.filter(kind=TimelineKind.KEYPRESS).last()
    assert line is not None and line.text.endswith("acknowledged (attempt 1 of 3, key 3).")


def pressed_9_and_heard_the_confirmation(lines: Lines, provider: FakeProvider) -> Call:
    call = connected_call(lines, provider)
    lines.press(call, "9")
    (play,) = provider.played()
    assert play.source.endswith("/calls/spoken/confirm-join-bridge.wav")
    lines.run(lines.deliver(call, played(call, confirmation_context(provider))))
    assert len(provider.sent("terminate")) == 1
    assert not provider.invited()  # rung only once this call has ended
    provider.requests.clear()
    return call


def test_9_acknowledges_and_once_the_call_ends_rings_them_on_a_new_bridge_call(
    lines: Lines, provider: FakeProvider
) -> None:
    call = pressed_9_and_heard_the_confirmation(lines, provider)
    attempt = attempt_of(call)
    assert attempt.outcome == Outcome.ACKNOWLEDGED
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    bridge = Call.objects.get(incident=call.incident, mode=CallMode.BRIDGE)
    assert list(bridge.participants.values_list("identifier", flat=True)) == [
        attempt.recipient.identifier
    ]
    assert provider.dialled() == [[attempt.recipient.identifier]]
    assert bridge.state == CallState.ESTABLISHING and bridge.prompt is None
    # Rung once, when the call had ended: not on "terminating" too, to wait on its own bridge.
    assert not DBTaskResult.objects.filter(task_path=join_bridge.module_path).exists()


def test_9_invites_them_into_the_bridge_call_that_is_live(
    lines: Lines, provider: FakeProvider
) -> None:
    call = pressed_9_and_heard_the_confirmation(lines, provider)
    bridge = CallFactory.create(
        incident=call.incident, mode=CallMode.BRIDGE, state=CallState.ESTABLISHED
    )
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    identifier = attempt_of(call).recipient.identifier
    assert provider.invited() == [identifier]
    assert provider.calls_asked("add_participant") == [bridge.provider_call_id]
    assert bridge.participants.get().identifier == identifier
    assert Call.objects.filter(mode=CallMode.BRIDGE).count() == 1


def test_9_then_hanging_up_before_the_confirmation_ends_still_rings_them_into_the_bridge(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    lines.press(call, "9")
    provider.requests.clear()
    # The provider reports no PlayResult for a play the end of the call stopped.
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    assert Call.objects.filter(incident=call.incident, mode=CallMode.BRIDGE).count() == 1
    assert len(provider.dialled()) == 1


def test_9_waits_for_a_bridge_call_still_being_set_up_then_invites_them(
    lines: Lines, provider: FakeProvider
) -> None:
    call = pressed_9_and_heard_the_confirmation(lines, provider)
    bridge = CallFactory.create(
        incident=call.incident, mode=CallMode.BRIDGE, state=CallState.ESTABLISHING
    )
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    assert provider.operations() == []  # no second bridge, and no invitation it would refuse
    (later,) = DBTaskResult.objects.filter(task_path=join_bridge.module_path)
    Call.objects.filter(pk=bridge.pk).update(state=CallState.ESTABLISHED)
    join_bridge.call(*later.args_kwargs["args"])
    assert provider.calls_asked("add_participant") == [bridge.provider_call_id]


def test_an_unanswered_call_ending_rings_nobody_into_the_bridge(
    lines: Lines, provider: FakeProvider
) -> None:
    call = connected_call(lines, provider)
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    assert not Call.objects.filter(mode=CallMode.BRIDGE).exists()
    assert provider.operations() == []


def test_the_confirmations_are_served_to_the_provider_without_an_account() -> None:
    response = Client().get("/calls/spoken/confirm-join-bridge.wav")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert b"".join(response.streaming_content).startswith(b"RIFF")  # type: ignore[attr-defined]
    assert Client().get("/calls/spoken/default-prompt.wav").status_code == 404


def test_a_key_that_overtakes_the_calls_established_event_ends_the_call_without_a_confirmation(
    lines: Lines, provider: FakeProvider
) -> None:
    made = AttemptFactory.create(call__prompt=AudioPromptFactory.create())
    ParticipantFactory.create(
        call=made.call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    lines.press(made.call, "1")
    assert attempt_of(made.call).outcome == Outcome.ACKNOWLEDGED
    assert provider.operations() == ["terminate"]


def test_a_prompt_that_starts_after_the_key_was_answered_is_cancelled_with_what_it_blocks(
    lines: Lines, provider: FakeProvider
) -> None:
    made = AttemptFactory.create(call__prompt=AudioPromptFactory.create())
    call: Call = made.call
    ParticipantFactory.create(
        call=call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    welcome = lines.deliver(call, *answered(call))
    handle = provider.handle

    def key_applied_meanwhile(request: Any) -> Any:
        # The person's key is applied (elsewhere) while the prompt's play is on its way.
        if operation(request) == "play":
            type(made).objects.filter(pk=made.pk).update(outcome=Outcome.ACKNOWLEDGED)
        return handle(request)

    with fake_transport(key_applied_meanwhile):
        lines.run(welcome)
    assert provider.operations() == ["play", "cancel_media"]


def test_no_prompt_once_the_key_was_answered(lines: Lines, provider: FakeProvider) -> None:
    made = AttemptFactory.create(call__prompt=AudioPromptFactory.create())
    call: Call = made.call
    ParticipantFactory.create(
        call=call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    welcome = lines.deliver(call, *answered(call))
    type(made).objects.filter(pk=made.pk).update(outcome=Outcome.ACKNOWLEDGED)
    lines.run(welcome)
    assert provider.played() == []


def test_a_wish_to_join_the_bridge_lost_with_its_worker_is_taken_up_again_once(
    lines: Lines, provider: FakeProvider
) -> None:
    call = pressed_9_and_heard_the_confirmation(lines, provider)
    lines.deliver(call, state(call, "CallDisconnected"))  # stored; its worker dies before ringing
    wanted_at = attempt_of(call).bridge_wanted_at
    assert wanted_at is not None and provider.dialled() == []
    assert recover_bridge_joins() == 0  # its own worker may still be at it
    with time_machine.travel(wanted_at + timedelta(seconds=61), tick=False):
        assert recover_bridge_joins() == 1
        assert recover_bridge_joins() == 0  # one is queued
        (task,) = queued("join_bridge")
        join_bridge.call(*task.args_kwargs["args"])
        join_bridge.call(*task.args_kwargs["args"])  # run twice (a worker killed after it)
        assert recover_bridge_joins() == 0  # settled
    assert provider.dialled() == [[attempt_of(call).recipient.identifier]]
    assert Call.objects.filter(incident=call.incident, mode=CallMode.BRIDGE).count() == 1


def test_ringing_them_into_a_live_bridge_twice_invites_them_once(
    lines: Lines, provider: FakeProvider
) -> None:
    call = pressed_9_and_heard_the_confirmation(lines, provider)
    CallFactory.create(incident=call.incident, mode=CallMode.BRIDGE, state=CallState.ESTABLISHED)
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    attempt = attempt_of(call)
    assert attempt.bridge_settled_at is not None
    ring_into_bridge(attempt_id=attempt.pk)  # a duplicate run (recovered while it ran)
    assert provider.invited() == [attempt.recipient.identifier]


def test_a_wish_given_up_on_is_settled_and_not_taken_up_again(
    lines: Lines, provider: FakeProvider
) -> None:
    call = pressed_9_and_heard_the_confirmation(lines, provider)
    CallFactory.create(incident=call.incident, mode=CallMode.BRIDGE, state=CallState.ESTABLISHING)
    lines.run(lines.deliver(call, state(call, "CallDisconnected")))
    attempt = attempt_of(call)
    ring_into_bridge(attempt_id=attempt.pk, give_up_at=timezone.now())  # the bridge never came
    line = call.incident.timeline.filter(kind=TimelineKind.ERROR).get()
    assert "which has not connected" in line.text
    DBTaskResult.objects.filter(task_path=join_bridge.module_path).delete()  # its retries ran
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        assert recover_bridge_joins() == 0
    assert attempt_of(call).bridge_settled_at is not None and provider.operations() == []
