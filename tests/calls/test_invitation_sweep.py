"""The resend sweep: an invitation committed and never answered (its sender died mid-request) is
sent again with the same repeatability pair while the provider remembers it, and given up after;
one the provider answered, or a callback told of, is never sent again."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from callouts.worker import after_ring_sweep
from calls.models import ParticipantState
from calls.services import invite_to_call, resend_pending_invitations
from calls.services.inviting import RESEND_AFTER
from calls.services.placing import REPEATABILITY_WINDOW
from calls.targets import resolve_targets
from tests.calls.invitations import ADA, T0, Invitations
from tests.provider_callbacks import callback, post

LATER = T0 + RESEND_AFTER + timedelta(seconds=1)


class WorkerKilled(Exception):
    """The process died with the request sent and its answer not yet read."""


def crashed_invitation(invitations: Invitations, operator: User) -> None:
    invitations.answers[ADA] = WorkerKilled()
    with time_machine.travel(T0, tick=False), pytest.raises(WorkerKilled):
        invite_to_call(
            call=invitations.call, targets=resolve_targets(numbers=[ADA]), actor=operator
        )
    invitations.answers.clear()


@pytest.mark.django_db
def test_an_invitation_whose_sender_died_is_sent_again_with_the_same_pair(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    crashed_invitation(invitations, operator)
    assert call.participants.get(identifier=ADA).state == ParticipantState.INVITED

    with time_machine.travel(T0 + RESEND_AFTER - timedelta(seconds=1), tick=False):
        assert resend_pending_invitations() == 0  # it may still be on its way
    with time_machine.travel(LATER, tick=False):
        assert resend_pending_invitations() == 1
        assert resend_pending_invitations() == 0  # answered now: never again

    first, again = invitations.to(ADA)
    assert (again.request_id, again.first_sent, again.body) == (
        first.request_id,
        first.first_sent,
        first.body,
    )
    ada = call.participants.get(identifier=ADA)
    assert (ada.state, ada.ringing_since) == (ParticipantState.RINGING, LATER)


@pytest.mark.django_db
def test_a_callback_confirms_the_invitation_so_it_is_not_sent_again(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    crashed_invitation(invitations, operator)

    added = callback("AddParticipantSucceeded", call=call, who=ADA, context="invite")
    assert post(call, [added]).status_code == 200

    assert call.participants.get(identifier=ADA).state == ParticipantState.RINGING
    with time_machine.travel(LATER, tick=False):
        assert resend_pending_invitations() == 0
    assert len(invitations.sent) == 1


@pytest.mark.django_db
def test_an_invitation_unanswered_past_the_window_is_given_up(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    crashed_invitation(invitations, operator)

    with time_machine.travel(T0 + REPEATABILITY_WINDOW + timedelta(seconds=1), tick=False):
        assert resend_pending_invitations() == 0

    assert len(invitations.sent) == 1  # a new id could ring them twice: nothing is sent
    assert call.participants.get(identifier=ADA).state == ParticipantState.FAILED
    assert call.incident.timeline.filter(
        text="+14255550101 was not reached: the provider never confirmed the invitation."
    ).exists()


@pytest.mark.django_db
def test_a_resend_refused_by_the_provider_fails_the_person(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    crashed_invitation(invitations, operator)
    invitations.answers[ADA] = 400

    with time_machine.travel(LATER, tick=False):
        assert resend_pending_invitations() == 1

    ada = call.participants.get(identifier=ADA)
    assert ada.state == ParticipantState.FAILED and ada.last_error.startswith("8523")


@pytest.mark.django_db
def test_a_resend_that_fails_again_on_the_way_is_tried_on_a_later_sweep(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    crashed_invitation(invitations, operator)
    invitations.answers[ADA] = 503

    with time_machine.travel(LATER, tick=False):
        assert resend_pending_invitations() == 1
    invitations.answers.clear()
    with time_machine.travel(LATER + RESEND_AFTER / 2, tick=False):
        assert resend_pending_invitations() == 0  # sent just now: left to finish
    with time_machine.travel(LATER + RESEND_AFTER * 2, tick=False):
        assert resend_pending_invitations() == 1

    assert len({s.request_id for s in invitations.to(ADA)}) == 1
    assert call.participants.get(identifier=ADA).state == ParticipantState.RINGING


@pytest.mark.django_db
def test_the_workers_ring_sweep_sends_them_again(operator: User, invitations: Invitations) -> None:
    call = invitations.call
    crashed_invitation(invitations, operator)

    with time_machine.travel(LATER, tick=False):
        after_ring_sweep()

    assert len(invitations.to(ADA)) == 2
    assert call.participants.get(identifier=ADA).state == ParticipantState.RINGING
