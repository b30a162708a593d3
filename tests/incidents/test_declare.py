from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User

from calls.errors import ProviderFailed
from calls.models import Call, CallMode, CallState, ParticipantState
from calls.services import retry_call
from calls.targets import resolve_targets
from contacts.models import Contact
from incidents.models import Incident, IncidentStatus
from incidents.services import declare_incident, resolve_incident
from tests.callouts.conftest import run_tasks
from tests.factories import ContactGroupFactory
from tests.provider_fake import FakeProvider


def _group_of(*numbers: str) -> Any:
    group = ContactGroupFactory.create()
    group.members.add(
        *(Contact.objects.get_or_create(phone_number=n, defaults={"name": n})[0] for n in numbers)
    )
    return group


@pytest.mark.django_db
def test_declare_calls_everyone_once_on_one_bridge(
    operator: User, provider: FakeProvider, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = _group_of("+14255550101", "+14255550102"), _group_of("+14255550102")
    targets = resolve_targets(groups=[first, second], numbers=["+1 425 555 0103"])
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare_incident(title="Fire", targets=targets, declared_by=operator)
    assert incident.status == IncidentStatus.ACTIVE
    call = incident.calls.get()
    assert call.provider_call_id == "leg-1" and call.state == CallState.ESTABLISHING
    assert set(call.participants.values_list("state", flat=True)) == {ParticipantState.RINGING}
    assert [sorted(numbers) for numbers in provider.dialled()] == [
        ["+14255550101", "+14255550102", "+14255550103"]
    ]
    (body,) = provider.sent("create_call")
    assert body["callbackUri"].endswith(f"/calls/{call.pk}/events/{call.callback_secret}/")
    assert provider.requests[0].headers["Repeatability-Request-ID"] == str(call.create_request_id)


@pytest.mark.django_db
def test_typed_in_numbers_find_their_contacts_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    known = Contact.objects.create(name="Ada", phone_number="+14255550101")
    numbers = ["+14255550101", *(f"+1425555{n:04d}" for n in range(200, 220))]
    with django_assert_num_queries(1):  # no groups: only the typed-in numbers are looked up
        targets = resolve_targets(numbers=numbers)
    assert [t.identifier for t in targets] == numbers
    assert targets[0].contact == known and all(t.contact is None for t in targets[1:])


@pytest.mark.django_db
def test_broadcast_mode_stores_a_call_out_that_a_worker_dials_one_call_per_person(
    operator: User, provider: FakeProvider, settings: Any
) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 1_000_000  # both starts due at once
    targets = resolve_targets(numbers=["+14255550101", "+14255550102"])
    incident = declare_incident(
        title="Outage", targets=targets, mode=CallMode.BROADCAST, declared_by=operator
    )
    assert incident.status == IncidentStatus.ACTIVE
    assert incident.callout.recipients.count() == 2
    assert incident.calls.count() == 0 and provider.operations() == []
    run_tasks()  # what a worker does
    assert incident.calls.count() == 2
    assert provider.operations() == ["create_call", "create_call"]


@pytest.mark.django_db
def test_provider_failure_keeps_the_incident_and_leaves_a_retryable_call(
    operator: User, provider: FakeProvider
) -> None:
    provider.responses.append(httpx.Response(400, json={"code": "8523", "message": "bad target"}))
    with pytest.raises(ProviderFailed, match="bad target"):
        declare_incident(
            title="Flood", targets=resolve_targets(numbers=["+14255550101"]), declared_by=operator
        )
    incident = Incident.objects.get()
    call = incident.calls.get()
    assert incident.status == IncidentStatus.DECLARED
    assert (call.state, call.last_error) == (CallState.FAILED, "bad target")
    assert incident.timeline.filter(kind="error").exists()
    refused_request_id = call.create_request_id

    call = retry_call(call=call, actor=operator)
    assert call.state == CallState.ESTABLISHING and call.provider_call_id
    # A definite refusal means the retry is a new request, not a repeat.
    assert provider.requests[1].headers["Repeatability-Request-ID"] != str(refused_request_id)


@pytest.mark.django_db
def test_resolving_hangs_up_the_calls(operator: User, provider: FakeProvider) -> None:
    incident = declare_incident(
        title="Fire", targets=resolve_targets(numbers=["+14255550101"]), declared_by=operator
    )
    resolve_incident(incident=incident, actor=operator)
    assert provider.operations()[-1] == "terminate"
    assert provider.calls_asked("terminate") == ["leg-1"]
    assert Call.objects.get().state == CallState.TERMINATING


# Listeners must exist before the incident does, so its id must be predictable.
@pytest.mark.django_db(transaction=True, reset_sequences=True, serialized_rollback=True)
def test_declare_broadcasts_after_commit_with_rising_sequence_numbers(
    operator: User, provider: FakeProvider, listen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listener = listen(1)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare_incident(
            title="Fire", targets=resolve_targets(numbers=["+14255550101"]), declared_by=operator
        )
    assert incident.pk == 1
    messages = listener.drain()
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    kinds = {m["kind"] for m in messages}
    assert {"timeline", "call", "participant", "incident"} <= kinds
