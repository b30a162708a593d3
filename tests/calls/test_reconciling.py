"""Reconciling with the provider when callbacks are lost: before the ring timeout gives up on
someone (GA reads the call first), for calls stuck establishing or terminating, and at worker
start-up; the 2021 preview has no read, so there the ring timeout alone decides."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.utils import timezone

from callouts.models import Attempt, Outcome
from calls.client_ga import GaCallAutomationClient
from calls.models import Call, CallMode, CallState, Participant, ParticipantState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from calls.services import expire_unanswered
from calls.services.reconciling import (
    reconcile_calls,
    reconcile_live_calls,
    reconcile_stuck_calls,
)
from tests.factories import AttemptFactory, CallFactory, ParticipantFactory
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
GA = "2026-03-12"
NUMBER = "+15550100"
APP = "8:acs:resource_app-leg"
pytestmark = pytest.mark.django_db


class GaCalls:
    """A GA provider at the transport that knows some calls: their state and who is on them
    (a call it does not know answers 404). Records every request."""

    def __init__(self) -> None:
        self.calls: dict[str, tuple[str, list[str]]] = {}
        self.requests: list[str] = []
        self.fail = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if self.fail:
            return httpx.Response(503, json={"error": {"code": "x", "message": "Busy."}})
        call_id = request.url.path.split("/")[3]
        if call_id not in self.calls:
            return httpx.Response(404, json={"error": {"code": "8522", "message": "No call."}})
        state, on_call = self.calls[call_id]
        if request.url.path.endswith("/participants"):
            roster = [_participant(raw) for raw in [APP, *on_call]]
            return httpx.Response(200, json={"value": roster, "nextLink": None})
        return httpx.Response(200, json={"callConnectionId": call_id, "callConnectionState": state})


def _participant(identifier: str) -> dict[str, Any]:
    if identifier.startswith("+"):
        wire = {
            "kind": "phoneNumber",
            "rawId": f"4:{identifier}",
            "phoneNumber": {"value": identifier},
        }
    else:
        wire = {
            "kind": "communicationUser",
            "rawId": identifier,
            "communicationUser": {"id": identifier},
        }
    return {"identifier": wire, "isMuted": False, "isOnHold": False}


@pytest.fixture
def ga(settings: Any) -> Iterator[GaCalls]:
    settings.ACS_API_VERSION = GA
    settings.ACS_SOURCE_ID = APP
    settings.RING_TIMEOUT_SECONDS = 60
    settings.RECONCILE_AFTER_SECONDS = 30
    fake = GaCalls()
    client = GaCallAutomationClient(
        "endpoint=https://acs.test/;accesskey=cHc=",
        api_version=GA,
        transport=httpx.MockTransport(fake),
        retry=NO_RETRY,
    )
    install_client(client)
    yield fake
    install_client(None)


def _ringing_attempt() -> Attempt:
    attempt: Attempt = AttemptFactory.create()
    ParticipantFactory.create(
        call=attempt.call, identifier=NUMBER, state=ParticipantState.RINGING, ringing_since=T0
    )
    return attempt


def _person(attempt: Attempt) -> Participant:
    return Participant.objects.get(call=attempt.call_id, identifier=NUMBER)


def test_someone_the_provider_has_connected_is_not_marked_unreached(ga: GaCalls) -> None:
    attempt = _ringing_attempt()
    ga.calls[attempt.call.provider_call_id] = ("connected", [NUMBER])

    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert expire_unanswered() == 0

    person = _person(attempt)
    assert person.state == ParticipantState.JOINED
    attempt.refresh_from_db()
    assert attempt.answered_at == T0 + timedelta(seconds=61)  # the call-out saw an answer
    assert attempt.hang_up_at is not None
    assert Call.objects.get(pk=attempt.call_id).state == CallState.ESTABLISHED
    call_id = attempt.call.provider_call_id
    assert ga.requests == [
        f"GET /calling/callConnections/{call_id}",
        f"GET /calling/callConnections/{call_id}/participants",
    ]


def test_someone_still_ringing_after_the_read_is_given_up_on_and_read_once(ga: GaCalls) -> None:
    attempt = _ringing_attempt()
    ga.calls[attempt.call.provider_call_id] = ("connecting", [])

    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert expire_unanswered() == 0
    assert ga.requests == []  # nothing overdue yet: no read
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert expire_unanswered() == 1
    assert _person(attempt).state == ParticipantState.FAILED
    reads = [r for r in ga.requests if r.startswith("GET")]
    assert reads == [f"GET /calling/callConnections/{attempt.call.provider_call_id}"]


def test_a_call_the_provider_no_longer_knows_is_ended(ga: GaCalls) -> None:
    attempt = _ringing_attempt()  # the provider has forgotten it: 404

    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        expire_unanswered()

    call = Call.objects.get(pk=attempt.call_id)
    assert call.state == CallState.TERMINATED and call.reconciled_at is not None
    assert _person(attempt).state == ParticipantState.FAILED
    attempt.refresh_from_db()
    assert attempt.ended_at is not None and attempt.outcome == Outcome.NO_ANSWER


def test_while_reads_fail_the_ring_timeout_waits_the_allowance_then_decides(ga: GaCalls) -> None:
    attempt = _ringing_attempt()
    ga.fail = True

    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert expire_unanswered() == 0
    assert _person(attempt).state == ParticipantState.RINGING
    with time_machine.travel(T0 + timedelta(seconds=91), tick=False):
        assert expire_unanswered() == 1
    assert _person(attempt).state == ParticipantState.FAILED


@pytest.mark.dialect("preview")
def test_the_preview_has_no_read_so_the_ring_timeout_decides(
    provider: FakeProvider, settings: Any
) -> None:
    settings.RING_TIMEOUT_SECONDS = 60
    attempt = _ringing_attempt()

    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert expire_unanswered() == 1
        assert reconcile_live_calls() == 0

    assert _person(attempt).state == ParticipantState.FAILED
    assert not [r for r in provider.requests if r.method == "GET"]


def test_a_call_stuck_terminating_past_the_allowance_is_read_and_ended(ga: GaCalls) -> None:
    with time_machine.travel(T0, tick=False):
        call = CallFactory.create(state=CallState.TERMINATING)
        ParticipantFactory.create(call=call, state=ParticipantState.JOINED, joined_at=T0)
    ga.calls[call.provider_call_id] = ("disconnected", [])

    with time_machine.travel(T0 + timedelta(seconds=29), tick=False):
        assert reconcile_stuck_calls() == 0
    with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
        assert reconcile_stuck_calls() == 1
        assert reconcile_stuck_calls() == 0  # read within the allowance: not again

    call.refresh_from_db()
    assert call.state == CallState.TERMINATED
    assert call.participants.get().state == ParticipantState.LEFT


def test_a_call_stuck_establishing_is_read_after_the_ring_timeout_and_allowance(
    ga: GaCalls,
) -> None:
    with time_machine.travel(T0, tick=False):
        call = CallFactory.create(state=CallState.ESTABLISHING)
    ga.calls[call.provider_call_id] = ("connected", [])

    with time_machine.travel(T0 + timedelta(seconds=89), tick=False):
        assert reconcile_stuck_calls() == 0
    with time_machine.travel(T0 + timedelta(seconds=91), tick=False):
        assert reconcile_stuck_calls() == 1
    assert Call.objects.get(pk=call.pk).state == CallState.ESTABLISHED


def test_a_read_never_moves_a_call_back(ga: GaCalls) -> None:
    call = CallFactory.create(state=CallState.TERMINATED)
    ga.calls[call.provider_call_id] = ("connected", [NUMBER])

    assert reconcile_calls([call.pk]) == 1

    call.refresh_from_db()
    assert call.state == CallState.TERMINATED


def test_worker_start_up_reads_every_live_call_in_pages(ga: GaCalls, settings: Any) -> None:
    settings.RECONCILE_READS_PER_SWEEP = 2
    live = [
        CallFactory.create(state=state, mode=CallMode.BROADCAST)
        for state in (CallState.ESTABLISHING, CallState.ESTABLISHED, CallState.TERMINATING) * 2
    ]
    CallFactory.create(state=CallState.TERMINATED)
    CallFactory.create(state=CallState.PENDING, provider_call_id="")
    quiet = timezone.now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS + 1)
    Call.objects.update(updated_at=quiet)
    just_moved = CallFactory.create(state=CallState.ESTABLISHED)  # its callbacks are on the way

    assert reconcile_live_calls() == 6

    just_moved.refresh_from_db()
    assert just_moved.state == CallState.ESTABLISHED and just_moved.reconciled_at is None

    assert {c.state for c in Call.objects.filter(pk__in=[c.pk for c in live])} == {
        CallState.TERMINATED  # all unknown to this provider: 404
    }
    assert len(ga.requests) == 6


def test_a_sweep_reads_at_most_its_share_of_calls(ga: GaCalls, settings: Any) -> None:
    settings.RECONCILE_READS_PER_SWEEP = 3
    for _ in range(10):
        _ringing_attempt_on_new_number()

    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        expire_unanswered()

    assert len([r for r in ga.requests if r.startswith("GET")]) == 3
    # The three read (unknown to the provider: ended) are settled; the rest still ring.
    states = list(Participant.objects.values_list("state", flat=True))
    assert states.count(ParticipantState.RINGING) == 7


def _ringing_attempt_on_new_number() -> None:
    attempt: Attempt = AttemptFactory.create()
    ParticipantFactory.create(call=attempt.call, state=ParticipantState.RINGING, ringing_since=T0)
