"""A call stored but never dialled (its process killed between the commit and the create-call)
is dialled by the worker's sweep once the lease has run out, with the same request id."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django.utils import timezone

from calls.models import Call, CallState
from calls.services.unplaced import place_unplaced
from calls.targets import resolve_targets
from incidents.models import IncidentStatus
from incidents.services import declare_incident
from tests.provider_fake import answer, fake_transport

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """Stands for SIGKILL of the process sending the create-call."""


class Provider:
    """Records create-calls; `kill_before` kills the sender before its request leaves, and
    `kill_after` once the provider has it (it then dials, but the sender never hears)."""

    def __init__(self) -> None:
        self.request_ids: list[str] = []
        self.kill_before = self.kill_after = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.kill_before:
            self.kill_before = False
            raise Killed
        self.request_ids.append(request.headers["Repeatability-Request-ID"])
        if self.kill_after:
            self.kill_after = False
            raise Killed
        return answer(request, 1)


@pytest.fixture
def provider() -> Iterator[Provider]:
    fake = Provider()
    with fake_transport(fake.handle):
        yield fake


def _declare_and_die() -> Call:
    with pytest.raises(Killed):
        declare_incident(
            title="Disk full",
            targets=resolve_targets(numbers=["+14255550101"]),
            declared_by=None,
        )
    call = Call.objects.get()
    assert call.state == CallState.PENDING
    return call


def test_a_call_whose_create_call_never_left_is_placed_after_the_lease(
    provider: Provider,
) -> None:
    provider.kill_before = True
    with time_machine.travel(T0, tick=False):
        call = _declare_and_die()
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert place_unplaced() == 0  # the sender may still be at it
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert place_unplaced() == 1
        assert place_unplaced() == 0
    call.refresh_from_db()
    assert call.state == CallState.ESTABLISHING and call.provider_call_id == "leg-1"
    assert provider.request_ids == [str(call.create_request_id)]
    assert call.incident.status == IncidentStatus.ACTIVE  # as declaring would have made it


def test_a_call_the_provider_got_is_sent_again_with_the_same_request_id(
    provider: Provider,
) -> None:
    provider.kill_after = True
    with time_machine.travel(T0, tick=False):
        call = _declare_and_die()
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert place_unplaced() == 1
    # The provider answers a repeat with the call it placed: one call, not two.
    assert provider.request_ids == [str(call.create_request_id)] * 2


def test_past_the_repeatability_window_the_call_is_failed_for_a_retry(
    provider: Provider,
) -> None:
    provider.kill_after = True
    with time_machine.travel(T0, tick=False):
        call = _declare_and_die()
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert place_unplaced() == 0
    call.refresh_from_db()
    assert call.state == CallState.FAILED and call.create_first_sent_at is None
    assert "server stopped" in call.last_error
    assert len(provider.request_ids) == 1  # nobody rung twice
    assert call.incident.timeline.filter(text__contains="was not placed").exists()


def test_the_calls_of_a_closed_incident_are_left(provider: Provider) -> None:
    provider.kill_before = True
    with time_machine.travel(T0, tick=False):
        call = _declare_and_die()
        call.incident.status = IncidentStatus.CANCELLED
        call.incident.closed_at = timezone.now()
        call.incident.save()
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        assert place_unplaced() == 0
    assert provider.request_ids == []
