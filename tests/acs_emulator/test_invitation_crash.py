"""The app against the emulator: a worker killed after its invitation reached the provider (and
before it read the answer) leaves the invitation to the resend sweep, which sends the same
repeatability pair, so the person's phone rings once."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from calls.client import CallAutomationClient
from calls.models import Call, CallState, ParticipantState
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from calls.services import invite_to_call, resend_pending_invitations
from calls.services.inviting import RESEND_AFTER
from calls.targets import resolve_targets
from tests.acs_emulator.scenarios import ACCESS_KEY, call_body, established_call
from tests.acs_emulator.servers import Receiver
from tests.factories import CallFactory

INVITEE = "+14255550155"


class WorkerKilled(Exception):
    pass


class DiesAfterTheFirstInvitation(httpx.BaseTransport):
    """Real HTTP; the first invitation is sent and answered, then its sender dies."""

    def __init__(self) -> None:
        self._http = httpx.HTTPTransport()
        self.invitations = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._http.handle_request(request)
        if request.url.path.endswith("/participants"):
            self.invitations += 1
            if self.invitations == 1:
                response.read()
                raise WorkerKilled
        return response


@pytest.fixture
def transport(emulator_url: str) -> Iterator[DiesAfterTheFirstInvitation]:
    transport = DiesAfterTheFirstInvitation()
    install_client(
        CallAutomationClient(
            f"endpoint={emulator_url}/;accesskey={ACCESS_KEY}", transport=transport, retry=NO_RETRY
        )
    )
    yield transport
    install_client(None)


def invitee_entries(control: httpx.Client, call_leg_id: str) -> int:
    people = control.get(f"/emulator/calls/{call_leg_id}").json()["participants"]
    return sum(1 for p in people if p["rawId"] == f"4:{INVITEE}")


@pytest.mark.django_db
def test_the_sweep_resends_a_killed_workers_invitation_and_the_phone_rings_once(
    acs: httpx.Client,
    control: httpx.Client,
    receiver: Receiver,
    transport: DiesAfterTheFirstInvitation,
) -> None:
    call_leg_id = established_call(acs, receiver, call_body(receiver.url))
    call: Call = CallFactory.create(provider_call_id=call_leg_id, state=CallState.ESTABLISHED)

    with pytest.raises(WorkerKilled):
        invite_to_call(call=call, targets=resolve_targets(numbers=[INVITEE]), actor=None)
    receiver.wait_for(call_leg_id, "InviteParticipantResult")
    assert call.participants.get(identifier=INVITEE).state == ParticipantState.INVITED

    assert resend_pending_invitations(now=timezone.now() + RESEND_AFTER + timedelta(seconds=1))

    assert transport.invitations == 2
    assert invitee_entries(control, call_leg_id) == 1
    results = [e for e in receiver.events(call_leg_id) if e["eventType"].endswith("Result")]
    assert len(results) == 1
    assert call.participants.get(identifier=INVITEE).state == ParticipantState.RINGING
