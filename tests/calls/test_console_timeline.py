"""What the incident's timeline says happened: one line per thing, people named with why they
were not reached (callbacks in through the provider's endpoint, as the provider sends them)."""

from typing import Any

import pytest
from django.contrib.auth.models import User

from calls.models import Call, CallMode, CallState, MediaState, ParticipantState
from calls.services import cancel_media, invite_to_call, remove_participant
from calls.targets import Target
from tests.factories import CallFactory, ContactFactory, ParticipantFactory
from tests.provider_callbacks import callback, post
from tests.provider_fake import FakeProvider

LEG = "0a1f0000-1111-2222-3333-444455556666"


def lines(call: Call) -> list[str]:
    return list(call.incident.timeline.order_by("id").values_list("text", flat=True))


def cancelled(call: Call) -> dict[str, Any]:
    return callback("PlayCanceled", call=call, context="play-1")


def invite_failed(call: Call, number: str, code: int, message: str) -> dict[str, Any]:
    return callback(
        "AddParticipantFailed", call=call, who=number, code=code, message=message, context="i-1"
    )


@pytest.fixture
def call(db: None) -> Call:
    return CallFactory.create(
        provider_call_id=LEG, state=CallState.ESTABLISHED, media_state=MediaState.PLAYING
    )


def test_stopping_the_audio_is_one_line_however_many_plays_the_provider_drops(
    call: Call, operator: User, provider: FakeProvider
) -> None:
    cancel_media(call=call, actor=operator)
    # The welcome prompt's loop and a prompt queued behind it: each reported cancelled.
    assert post(call, [cancelled(call), cancelled(call)]).status_code == 200
    assert lines(call) == ["Operator stopped the audio."]
    call.refresh_from_db()
    assert call.media_state == MediaState.IDLE


@pytest.mark.parametrize(
    ("code", "message", "said"),
    [
        (486, "The participant is busy.", "busy"),
        (603, "The participant declined the call.", "declined"),
        (408, "The participant did not answer.", "no answer"),
        (500, "Media server fault.", "the call failed (Media server fault)"),
    ],
)
def test_an_invitee_not_reached_is_named_with_the_reason(
    call: Call, code: int, message: str, said: str
) -> None:
    grace = ContactFactory.create(name="Grace Hopper", phone_number="+14255550102")
    ParticipantFactory.create(
        call=call, contact=grace, identifier="+14255550102", state=ParticipantState.RINGING
    )
    assert post(call, [invite_failed(call, "+14255550102", code, message)]).status_code == 200
    assert lines(call) == [f"Grace Hopper was not reached: {said}."]


def test_people_still_ringing_when_the_call_ends_are_named(call: Call) -> None:
    ParticipantFactory.create(call=call, identifier="+14255550103", state=ParticipantState.RINGING)
    assert post(call, [callback("CallDisconnected", call=call)]).status_code == 200
    assert lines(call) == [
        "The call ended.",
        "+14255550103 was not reached: the call ended before they answered.",
    ]


@pytest.mark.dialect("preview")  # GA names who pressed every key
def test_an_unattributed_key_press_says_the_provider_does_not_say_who(call: Call) -> None:
    assert post(call, [callback("ToneReceived", call=call, key="1")]).status_code == 200
    assert lines(call) == ["Someone on the call pressed 1 (the provider does not say who)."]


def test_an_invitation_says_who_was_rung_and_who_was_already_there(
    call: Call, operator: User, provider: FakeProvider
) -> None:
    ada = ContactFactory.create(name="Ada Lovelace", phone_number="+14255550101")
    ParticipantFactory.create(
        call=call, contact=ada, identifier=ada.phone_number, state=ParticipantState.JOINED
    )
    only_ada = invite_to_call(call=call, targets=[Target(ada.phone_number, ada)], actor=operator)
    assert (only_ada.invited, only_ada.summary) == (
        [],
        "Ada Lovelace is already on the call or ringing.",
    )
    assert provider.requests == []
    both = invite_to_call(
        call=call,
        targets=[Target(ada.phone_number, ada), Target("+14255550109", None)],
        actor=operator,
    )
    assert both.summary == "Ringing +14255550109. Ada Lovelace is already on the call or ringing."


def test_removing_someone_ringing_on_a_call_of_their_own_hangs_it_up(
    operator: User, provider: FakeProvider
) -> None:
    call = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHING)
    call.mode = CallMode.BROADCAST
    call.save()
    person = ParticipantFactory.create(call=call, state=ParticipantState.RINGING)
    removed = remove_participant(participant=person, actor=operator)
    assert removed.state == ParticipantState.REMOVED
    assert provider.operations() == ["terminate"]
    assert provider.calls_asked("terminate") == [LEG]
    assert lines(call) == [f"Operator removed {person}, hanging up their call."]
