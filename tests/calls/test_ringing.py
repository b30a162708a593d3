from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import CallState, ParticipantState
from calls.services import expire_unanswered, invite_to_call
from calls.targets import resolve_targets
from incidents.services import declare_incident
from tests.factories import CallFactory, ParticipantFactory
from tests.provider_fake import FakeProvider

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_people_ringing_past_the_timeout_count_as_not_answering(
    operator: User,
    provider: FakeProvider,
    settings: Any,
    listen: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.RING_TIMEOUT_SECONDS = 60
    with time_machine.travel(T0, tick=False):
        incident = declare_incident(
            title="Fire",
            targets=resolve_targets(numbers=["+14255550101", "+14255550102"]),
            declared_by=operator,
        )
    call = incident.calls.get()
    assert set(call.participants.values_list("state", flat=True)) == {ParticipantState.RINGING}
    call.participants.filter(identifier="+14255550101").update(state=ParticipantState.JOINED)

    assert expire_unanswered(now=T0 + timedelta(seconds=59)) == 0
    listener = listen(incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_unanswered(now=T0 + timedelta(seconds=61)) == 1
    states = dict(call.participants.values_list("identifier", "state"))
    assert states == {
        "+14255550101": ParticipantState.JOINED,
        "+14255550102": ParticipantState.FAILED,
    }
    assert (
        incident.timeline.filter(text__endswith="was not reached: no answer after 60 s.").count()
        == 1
    )
    assert [m["kind"] for m in listener.drain()] == ["participant", "timeline"]
    assert expire_unanswered(now=T0 + timedelta(seconds=120)) == 0  # nothing twice


@pytest.mark.django_db
def test_invited_people_ring_from_the_invitation(operator: User, provider: FakeProvider) -> None:
    call = CallFactory.create(provider_call_id="leg-9", state=CallState.ESTABLISHED)
    with time_machine.travel(T0, tick=False):
        (invited,) = invite_to_call(
            call=call, targets=resolve_targets(numbers=["+14255550103"]), actor=operator
        ).invited
    assert (invited.state, invited.ringing_since) == (ParticipantState.RINGING, T0)


@pytest.mark.django_db
def test_ended_calls_are_left_alone_and_the_command_reports(capsys: Any) -> None:
    ParticipantFactory.create(
        call=CallFactory.create(state=CallState.TERMINATED),
        state=ParticipantState.RINGING,
        ringing_since=T0,
    )
    call_command("expire_unanswered")
    assert "0 participants" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_call_with_several_overdue_people_is_swept_once(
    provider: FakeProvider, settings: Any
) -> None:
    settings.RING_TIMEOUT_SECONDS = 60
    # Read after their ring timeout (GA): the sweep gives up on them without reading again.
    call = CallFactory.create(state=CallState.ESTABLISHED, reconciled_at=T0 + timedelta(seconds=61))
    for number in ("+14255550101", "+14255550102", "+14255550103"):
        ParticipantFactory.create(
            call=call, identifier=number, state=ParticipantState.RINGING, ringing_since=T0
        )
    with CaptureQueriesContext(connection) as queries:
        assert expire_unanswered(now=T0 + timedelta(seconds=61)) == 3
    call_reads = [q for q in queries if q["sql"].startswith('SELECT "calls_call"."id"')]
    assert len(call_reads) == 1  # one transaction for the call, not one per person
