"""Invitations are committed before they are sent, with the repeatability pair every later send
of them carries; the provider's answer is taken per person."""

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection

from calls import signing
from calls.client_ga import GaCallAutomationClient
from calls.errors import ProviderFailed
from calls.models import Participant, ParticipantState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from calls.services import invite_to_call
from calls.targets import resolve_targets
from tests.calls.invitations import ADA, BOB, T0, Invitations, Sent, live_call

GA_VERSION = "2026-03-12"


# serialized_rollback: what the migrations made (role groups) is there, and put back after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_invitation_is_committed_before_the_request(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    seen: list[tuple[bool, str, ParticipantState, datetime | None]] = []

    def look(sent: Sent) -> None:
        # Autocommit, no transaction open: what the request found is in the database for good.
        row = Participant.objects.get(call=call, identifier=sent.target)
        seen.append(
            (
                connection.in_atomic_block,
                str(row.invite_request_id),
                ParticipantState(row.state),
                row.invite_first_sent_at,
            )
        )

    invitations.during = look
    with time_machine.travel(T0, tick=False):
        invite_to_call(call=call, targets=resolve_targets(numbers=[ADA]), actor=operator)

    (sent,) = invitations.sent
    assert seen == [(False, sent.request_id, ParticipantState.INVITED, T0)]
    assert sent.first_sent == signing.http_date(T0)
    assert f"invite:{sent.request_id}".encode() in sent.body  # the operation context
    participant = Participant.objects.get(call=call, identifier=ADA)
    assert participant.state == ParticipantState.RINGING


@pytest.mark.django_db
def test_a_refusal_for_one_person_fails_them_and_rings_the_others(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    invitations.answers[BOB] = 400

    invitation = invite_to_call(
        call=call, targets=resolve_targets(numbers=[ADA, BOB]), actor=operator
    )

    assert [p.identifier for p in invitation.invited] == [ADA]
    assert [p.identifier for p in invitation.failed] == [BOB]
    assert "refused to ring +14255550102" in invitation.summary
    states = dict(call.participants.values_list("identifier", "state"))
    assert states == {ADA: ParticipantState.RINGING, BOB: ParticipantState.FAILED}
    bob = call.participants.get(identifier=BOB)
    assert bob.last_error.startswith("8523: ")
    assert call.incident.timeline.filter(
        text__startswith="+14255550102 was not reached: the provider refused the invitation"
    ).exists()


@pytest.mark.django_db
def test_when_nobody_is_rung_it_fails_after_recording_who_was_refused(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    invitations.answers[ADA] = 400

    with pytest.raises(ProviderFailed):
        invite_to_call(call=call, targets=resolve_targets(numbers=[ADA]), actor=operator)

    assert call.participants.get(identifier=ADA).state == ParticipantState.FAILED


@pytest.mark.django_db
def test_a_transient_failure_leaves_the_invitation_to_send_again(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    invitations.answers[BOB] = 503  # it may have rung them: not a refusal

    invitation = invite_to_call(
        call=call, targets=resolve_targets(numbers=[ADA, BOB]), actor=operator
    )

    assert [p.identifier for p in invitation.unconfirmed] == [BOB]
    assert "did not confirm ringing +14255550102" in invitation.summary
    bob = call.participants.get(identifier=BOB)
    assert (bob.state, bob.invite_request_id is not None) == (ParticipantState.INVITED, True)


@pytest.mark.django_db
def test_a_retry_within_the_window_sends_the_same_pair_and_after_it_a_fresh_one(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    invitations.answers[ADA] = 503
    targets = resolve_targets(numbers=[ADA])
    with time_machine.travel(T0, tick=False), pytest.raises(ProviderFailed):
        invite_to_call(call=call, targets=targets, actor=operator)
    with time_machine.travel(T0 + timedelta(minutes=4), tick=False), pytest.raises(ProviderFailed):
        invite_to_call(call=call, targets=targets, actor=operator)
    invitations.answers.clear()
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        (rung,) = invite_to_call(call=call, targets=targets, actor=operator).invited

    first, within, after = invitations.to(ADA)
    assert (within.request_id, within.first_sent, within.body) == (
        first.request_id,
        first.first_sent,
        first.body,
    )
    assert after.request_id != first.request_id
    assert after.first_sent == signing.http_date(T0 + timedelta(minutes=5))
    assert str(rung.invite_request_id) == after.request_id
    assert rung.state == ParticipantState.RINGING


@pytest.mark.django_db
def test_someone_whose_invitation_was_answered_is_not_sent_it_again(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    targets = resolve_targets(numbers=[ADA])
    invite_to_call(call=call, targets=targets, actor=operator)

    again = invite_to_call(call=call, targets=targets, actor=operator)

    assert [p.identifier for p in again.already_there] == [ADA]
    assert len(invitations.sent) == 1


@pytest.mark.django_db
def test_someone_whose_attempt_is_over_gets_a_new_invitation(
    operator: User, invitations: Invitations
) -> None:
    call = invitations.call
    targets = resolve_targets(numbers=[ADA])
    invite_to_call(call=call, targets=targets, actor=operator)
    call.participants.update(state=ParticipantState.FAILED)

    invite_to_call(call=call, targets=targets, actor=operator)

    first, second = invitations.to(ADA)
    assert first.request_id != second.request_id


@pytest.mark.django_db
def test_on_ga_each_person_is_one_participants_add_with_their_stored_pair(
    operator: User, settings: Any
) -> None:
    settings.ACS_API_VERSION = GA_VERSION
    sent: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(202, json={})

    client = GaCallAutomationClient(
        "endpoint=https://acs.test/;accesskey=cHc=",
        api_version=GA_VERSION,
        transport=httpx.MockTransport(handle),
        retry=NO_RETRY,
    )
    install_client(client)
    try:
        call = live_call()
        invite_to_call(call=call, targets=resolve_targets(numbers=[ADA, BOB]), actor=operator)
    finally:
        install_client(None)

    stored = dict(call.participants.values_list("identifier", "invite_request_id"))
    assert {r.url.path for r in sent} == {
        f"/calling/callConnections/{call.provider_call_id}/participants:add"
    }
    by_target = {json.loads(r.content)["participantToAdd"]["phoneNumber"]["value"]: r for r in sent}
    for target, request in by_target.items():
        assert request.headers["Repeatability-Request-ID"] == str(stored[target])
        assert json.loads(request.content)["operationContext"] == f"invite:{stored[target]}"
