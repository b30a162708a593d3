"""What the incident hears of a call: every change of a call of its own, only the errors of a
quiet one (a call-out's attempt, whose call-out tells the rest)."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from calls.models import Call, CallMode, CallState
from calls.services import hang_up_call, redial_call
from calls.services.hanging_up import hang_up_each
from incidents.models import TimelineKind
from tests.conftest import Listener
from tests.factories import CallFactory, ParticipantFactory
from tests.provider_fake import FakeProvider

pytestmark = pytest.mark.django_db


def _ringing(**call: Any) -> Call:
    """A broadcast call ringing its one person (pass `state` for another stage)."""
    made: Call = CallFactory.create(
        **{"mode": CallMode.BROADCAST, "state": CallState.ESTABLISHING, **call}
    )
    ParticipantFactory.create(call=made)
    return made


def test_a_quiet_call_changes_without_an_event_or_a_line(
    provider: FakeProvider,
    listen: Callable[[int], Listener],
    django_capture_on_commit_callbacks: Any,
) -> None:
    call = _ringing(quiet=True)
    dashboard = listen(call.incident_id)
    with django_capture_on_commit_callbacks(execute=True):
        hang_up_call(call=call, actor=None, said="Hung up: the call-out stopped.")
    call.refresh_from_db()
    assert call.state == CallState.TERMINATING
    assert dashboard.drain() == []
    assert not call.incident.timeline.exists()


def test_a_broadcast_call_of_no_call_out_is_announced_as_ever(
    provider: FakeProvider,
    listen: Callable[[int], Listener],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Broadcast mode alone does not make a call quiet: ringing an ended one again makes one.
    ended = _ringing(quiet=True, state=CallState.TERMINATED)
    (again,) = redial_call(call=ended, actor=None)
    assert not again.quiet
    dashboard = listen(again.incident_id)
    with django_capture_on_commit_callbacks(execute=True):
        hang_up_call(call=again, actor=None, said="Hung up by hand.")
    assert [e["kind"] for e in dashboard.drain()] == ["call", "timeline"]
    assert again.incident.timeline.filter(text="Hung up by hand.").exists()


def test_a_hang_up_the_provider_failed_is_told_even_on_a_quiet_call(
    provider: FakeProvider,
) -> None:
    call = _ringing(quiet=True)
    provider.responses.append(httpx.Response(500, json={"error": {"code": "x", "message": "No."}}))
    (failed,) = hang_up_each([call], actor=None, said="Hung up: the call-out stopped.")
    (line,) = call.incident.timeline.all()
    assert line.kind == TimelineKind.ERROR
    assert line.text == f"{failed.message} Hang it up again from its controls."
