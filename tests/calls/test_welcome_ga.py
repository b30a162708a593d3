"""The welcome prompt on GA waits until someone's keys can be heard: the request to start
continuous DTMF always goes out before the play, whichever trigger (the call connecting, the
person joining) comes second, and the prompt plays once."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.utils import timezone

from calls.models import Call, CallMode, CallState, MediaState, ParticipantState
from calls.services.keys import listen_again_for_keys
from calls.services.welcome import CLAIM_LEASE, play_lost_welcome_prompts
from incidents.models import TimelineKind
from tests.callouts.lines import Lines, state
from tests.factories import AudioPromptFactory, CallFactory, ParticipantFactory
from tests.provider_callbacks import callback
from tests.provider_fake import FakeProvider

pytestmark = [pytest.mark.django_db, pytest.mark.dialect("ga")]
PERSON, OTHER = "+15550100", "+15550177"


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


def _call(*people: str, prompt: bool = True, mode: CallMode = CallMode.BROADCAST) -> Call:
    call = CallFactory.create(
        state=CallState.ESTABLISHING,
        mode=mode,
        prompt=AudioPromptFactory.create() if prompt else None,
    )
    for identifier in people or (PERSON,):
        ParticipantFactory.create(call=call, identifier=identifier, state=ParticipantState.RINGING)
    return call


def _joined(call: Call, *people: str) -> dict[str, Any]:
    return callback("ParticipantsUpdated", call=call, people=people or (PERSON,))


def test_connected_then_joined_starts_the_keys_before_the_prompt(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    aside = lines.deliver(call, state(call, "CallConnected"), _joined(call))
    assert len(aside) == 2  # the play (first: it came first) and the listen, handed aside
    lines.run(aside)
    assert provider.operations(keys=True) == ["start_keys", "play"]
    call.refresh_from_db()
    assert call.media_state == MediaState.PLAYING
    assert call.keys_answered_at is not None and call.welcome_claimed_at is not None


def test_when_the_listen_runs_first_the_connected_trigger_plays_nothing_more(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    aside = lines.deliver(call, state(call, "CallConnected"), _joined(call))
    lines.run(list(reversed(aside)))  # the listen's process is quicker: both see both facts
    lines.run(aside)  # and running either again (a redelivery, another process) plays no more
    assert provider.operations(keys=True) == ["start_keys", "play"]


def test_joined_before_connected_plays_when_the_call_connects(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    lines.run(lines.deliver(call, _joined(call)))
    assert provider.operations(keys=True) == ["start_keys"]  # heard, but not established yet
    lines.run(lines.deliver(call, state(call, "CallConnected")))
    assert provider.operations(keys=True) == ["start_keys", "play"]


def test_a_listen_lost_with_its_process_is_made_by_the_sweep_and_then_the_prompt_plays(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    play, _lost_listen = lines.deliver(call, state(call, "CallConnected"), _joined(call))
    lines.run([play])
    assert provider.operations(keys=True) == []  # silent: nothing could hear a key yet
    joined_at = call.participants.get().joined_at
    assert joined_at is not None
    assert listen_again_for_keys(now=joined_at + timedelta(seconds=11)) == 1
    assert provider.operations(keys=True) == ["start_keys", "play"]


def test_a_call_without_a_prompt_only_listens(lines: Lines, provider: FakeProvider) -> None:
    call = _call(prompt=False)
    lines.run(lines.deliver(call, state(call, "CallConnected"), _joined(call)))
    assert provider.operations(keys=True) == ["start_keys"]
    call.refresh_from_db()
    assert call.welcome_claimed_at is None


def test_a_refused_listen_is_told_and_the_prompt_plays_all_the_same(
    lines: Lines, provider: FakeProvider
) -> None:
    provider.responses.append(
        httpx.Response(400, json={"error": {"code": "8523", "message": "Invalid request."}})
    )
    call = _call()
    lines.run(lines.deliver(call, state(call, "CallConnected"), _joined(call)))
    assert provider.operations(keys=True) == ["start_keys", "play"]
    line = call.incident.timeline.get(kind=TimelineKind.ERROR)
    assert line.text.startswith(f"The provider did not listen for {PERSON}'s keys: ")
    assert line.text.endswith("; their keys go unheard.")


def test_a_call_gone_before_its_keys_were_heard_plays_nothing(
    lines: Lines, provider: FakeProvider
) -> None:
    provider.responses.append(
        httpx.Response(404, json={"error": {"code": "8522", "message": "Call not found."}})
    )
    call = _call()
    lines.run(lines.deliver(call, state(call, "CallConnected"), _joined(call)))
    assert provider.operations(keys=True) == ["start_keys"]
    assert not call.incident.timeline.filter(kind=TimelineKind.ERROR).exists()


def test_on_a_bridge_the_first_person_heard_lets_it_play_once(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call(PERSON, OTHER, mode=CallMode.BRIDGE)
    lines.run(lines.deliver(call, state(call, "CallConnected"), _joined(call, PERSON)))
    assert provider.operations(keys=True) == ["start_keys", "play"]
    lines.run(lines.deliver(call, _joined(call, PERSON, OTHER)))  # a second person joins
    assert provider.operations(keys=True) == ["start_keys", "play", "start_keys"]
    starts = [s["targetParticipant"]["rawId"] for s in provider.sent("start_keys")]
    assert starts == [f"4:{PERSON}", f"4:{OTHER}"]


@pytest.mark.dialect("preview")
def test_on_the_preview_the_prompt_plays_on_connect_as_keys_are_heard_from_the_start(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    lines.run(lines.deliver(call, state(call, "CallConnected")))
    assert provider.operations(keys=True) == ["play"]


def test_a_prompt_whose_play_was_lost_with_its_process_is_played_by_the_sweep_once(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    lines.run(lines.deliver(call, _joined(call)))  # heard before the call was established
    lines.deliver(call, state(call, "CallConnected"))  # its play's process dies: never run
    assert provider.operations(keys=True) == ["start_keys"]
    call.refresh_from_db()
    assert call.keys_answered_at is not None
    assert play_lost_welcome_prompts(now=call.keys_answered_at + timedelta(seconds=5)) == 0
    assert play_lost_welcome_prompts(now=call.keys_answered_at + timedelta(seconds=11)) == 1
    assert play_lost_welcome_prompts(now=call.keys_answered_at + timedelta(seconds=12)) == 0
    assert provider.operations(keys=True) == ["start_keys", "play"]


# A claim is a lease: one whose process died mid-request (after the claim, before the
# provider answered) lapses after CLAIM_LEASE and the sweep makes the request again, once.


def test_a_listen_whose_process_died_mid_request_is_asked_again_once_its_claim_lapses(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    play, _dies_mid_request = lines.deliver(call, state(call, "CallConnected"), _joined(call))
    lines.run([play])
    claimed_at = timezone.now()
    call.participants.update(keys_listened_at=claimed_at)  # claimed; the request never answered
    with time_machine.travel(claimed_at + CLAIM_LEASE - timedelta(seconds=1), tick=False):
        assert listen_again_for_keys() == 0  # it may still be on its way
    with time_machine.travel(claimed_at + CLAIM_LEASE + timedelta(seconds=1), tick=False):
        assert listen_again_for_keys() == 1
    with time_machine.travel(claimed_at + 3 * CLAIM_LEASE, tick=False):
        assert listen_again_for_keys() == 0  # answered this time
        assert play_lost_welcome_prompts() == 0
    assert provider.operations(keys=True) == ["start_keys", "play"]


def test_a_play_whose_process_died_mid_request_is_played_again_once_its_claim_lapses(
    lines: Lines, provider: FakeProvider
) -> None:
    call = _call()
    lines.run(lines.deliver(call, _joined(call)))
    lines.deliver(call, state(call, "CallConnected"))  # its play is claimed, and the process dies
    claimed_at = timezone.now()
    Call.objects.filter(pk=call.pk).update(welcome_claimed_at=claimed_at)
    with time_machine.travel(claimed_at + CLAIM_LEASE - timedelta(seconds=1), tick=False):
        assert play_lost_welcome_prompts() == 0
    with time_machine.travel(claimed_at + CLAIM_LEASE + timedelta(seconds=1), tick=False):
        assert play_lost_welcome_prompts() == 1
    with time_machine.travel(claimed_at + 3 * CLAIM_LEASE, tick=False):
        assert play_lost_welcome_prompts() == 0
    assert provider.operations(keys=True) == ["start_keys", "play"]


def test_a_refused_listen_and_a_refused_play_are_never_made_again(
    lines: Lines, provider: FakeProvider
) -> None:
    refused = {"error": {"code": "8523", "message": "Invalid request."}}
    provider.responses += [httpx.Response(400, json=refused), httpx.Response(400, json=refused)]
    call = _call()
    lines.run(lines.deliver(call, state(call, "CallConnected"), _joined(call)))
    assert call.incident.timeline.filter(kind=TimelineKind.ERROR).count() == 2
    with time_machine.travel(timezone.now() + 3 * CLAIM_LEASE, tick=False):
        assert listen_again_for_keys() == 0
        assert play_lost_welcome_prompts() == 0
    assert provider.operations(keys=True) == ["start_keys", "play"]
    call.refresh_from_db()
    assert call.media_state == MediaState.IDLE and call.welcome_done_at is not None
