import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from calls.models import CallState
from tests.factories import CallEventFactory, CallFactory, ParticipantFactory


@pytest.mark.django_db
def test_provider_call_ids_are_unique() -> None:
    CallFactory.create(provider_call_id="leg-1")
    with pytest.raises(IntegrityError):
        CallFactory.create(provider_call_id="leg-1")


@pytest.mark.django_db
def test_calls_not_yet_placed_may_share_an_empty_provider_id() -> None:
    first, second = CallFactory.create(provider_call_id=""), CallFactory.create(provider_call_id="")
    assert first.state == second.state == CallState.PENDING
    assert first.callback_secret != second.callback_secret
    assert len(first.callback_secret) >= 40


@pytest.mark.django_db
def test_a_person_is_on_a_call_once() -> None:
    call = CallFactory.create()
    ParticipantFactory.create(call=call, identifier="+14255550123")
    with pytest.raises(IntegrityError):
        ParticipantFactory.create(call=call, identifier="+14255550123")


@pytest.mark.django_db
def test_provider_participant_ids_are_unique_per_call() -> None:
    call = CallFactory.create()
    ParticipantFactory.create(call=call, provider_participant_id="p-1")
    ParticipantFactory.create(call=call, provider_participant_id="")
    ParticipantFactory.create(call=call, provider_participant_id="")
    ParticipantFactory.create(provider_participant_id="p-1")  # same id on another call is fine
    with pytest.raises(IntegrityError):
        ParticipantFactory.create(call=call, provider_participant_id="p-1")


@pytest.mark.django_db
def test_participant_cannot_leave_before_joining() -> None:
    now = timezone.now()
    with pytest.raises(IntegrityError):
        ParticipantFactory.create(joined_at=now, left_at=now - dt.timedelta(seconds=1))


@pytest.mark.django_db
def test_events_are_stored_once_per_digest() -> None:
    CallEventFactory.create(digest="a" * 64)
    with pytest.raises(IntegrityError):
        CallEventFactory.create(digest="a" * 64)
