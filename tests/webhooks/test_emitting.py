"""Emitting: one delivery per subscription that wants the event, in the transaction of the
change, from each domain service that makes one."""

import json
from typing import Any

import pytest
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from callouts.models import CalloutState, Outcome, StopReason
from callouts.services import stop_callout
from callouts.services.settling import settle_attempt
from calls.models import CallMode, CallState, ParticipantState
from calls.targets import resolve_targets
from incidents.models import IncidentStatus
from incidents.services import (
    cancel_incident,
    declare_incident,
    resolve_incident,
    transition_incident,
)
from tests.callouts.declared import declared_callout
from tests.callouts.lines import Lines, answered
from tests.factories import (
    AttemptFactory,
    AudioPromptFactory,
    CallFactory,
    IncidentFactory,
    ParticipantFactory,
    SubscriptionFactory,
)
from tests.provider_fake import FakeProvider
from webhooks.models import Delivery, EventType
from webhooks.services.emitting import emit, emit_incident_escalated

pytestmark = pytest.mark.django_db
ALL = list(EventType.values)


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


def bodies(event_type: str) -> list[dict[str, Any]]:
    rows = Delivery.objects.filter(event_type=event_type).order_by("id")
    return [json.loads(d.body) for d in rows]


def queued_deliveries() -> list[Any]:
    rows = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path="webhooks.tasks.deliver_webhook"
    )
    return sorted(row.args_kwargs["args"][0] for row in rows)


def test_one_delivery_per_active_subscription_that_wants_the_event() -> None:
    wants = SubscriptionFactory.create(events=["incident.declared", "incident.resolved"])
    also = SubscriptionFactory.create(events=ALL)
    SubscriptionFactory.create(events=["incident.resolved"])  # another event only
    SubscriptionFactory.create(events=ALL, is_active=False)
    made = emit(EventType.INCIDENT_DECLARED, {"n": 1})
    assert sorted(d.subscription_id for d in made) == [wants.pk, also.pk]
    # Each its own stable id; the same body; each enqueued for sending.
    assert len({d.webhook_id for d in made}) == 2
    assert all(d.webhook_id.startswith("msg_") and "." not in d.webhook_id for d in made)
    (body,) = {d.body for d in made}
    assert set(json.loads(body)) == {"type", "timestamp", "data"}
    assert json.loads(body)["type"] == "incident.declared"
    assert queued_deliveries() == sorted(d.pk for d in made)


def test_no_subscription_no_delivery_and_no_task() -> None:
    SubscriptionFactory.create(events=["callout.finished"])
    assert emit(EventType.INCIDENT_DECLARED, {}) == []
    assert not Delivery.objects.exists() and queued_deliveries() == []


def test_a_rolled_back_change_leaves_no_delivery_and_no_task() -> None:
    SubscriptionFactory.create(events=ALL)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(EventType.INCIDENT_DECLARED, {})
        raise RuntimeError("the change failed after emitting")
    assert not Delivery.objects.exists() and queued_deliveries() == []


def test_data_must_be_json() -> None:
    SubscriptionFactory.create(events=ALL)
    with pytest.raises(TypeError):
        emit(EventType.INCIDENT_DECLARED, {"when": object()})


def test_declaring_a_bridge_tells_declared_with_the_incident(provider: FakeProvider) -> None:
    SubscriptionFactory.create(events=ALL)
    incident = declare_incident(
        title="Fire", targets=resolve_targets(numbers=["+14255550101"]), declared_by=None
    )
    (body,) = bodies("incident.declared")
    assert body["data"]["incident"] == {
        "id": incident.pk,
        "title": "Fire",
        "severity": "major",
        "status": "declared",
        "url": f"http://127.0.0.1:8000/incidents/{incident.pk}/",
    }


def test_declaring_a_callout_tells_declared_in_its_transaction() -> None:
    SubscriptionFactory.create(events=["incident.declared"])
    callout = declared_callout(2)
    (body,) = bodies("incident.declared")
    assert body["data"]["incident"]["id"] == callout.incident_id
    assert body["data"]["incident"]["status"] == "active"


@pytest.mark.parametrize(
    ("close", "event_type"),
    [(resolve_incident, "incident.resolved"), (cancel_incident, "incident.cancelled")],
)
def test_closing_tells_resolved_or_cancelled(
    provider: FakeProvider, close: Any, event_type: str
) -> None:
    SubscriptionFactory.create(events=ALL)
    incident = IncidentFactory.create(status=IncidentStatus.ACTIVE, declared_by=None)
    close(incident=incident, actor=None)
    (body,) = bodies(event_type)
    assert body["data"]["incident"]["status"] == event_type.split(".")[1]
    assert Delivery.objects.count() == 1


def test_other_transitions_tell_nothing() -> None:
    SubscriptionFactory.create(events=ALL)
    incident = IncidentFactory.create(declared_by=None)
    transition_incident(incident=incident, to=IncidentStatus.ACTIVE)
    assert not Delivery.objects.exists()


def test_a_key_on_a_callout_call_tells_acknowledged_with_the_person(
    lines: Lines, provider: FakeProvider
) -> None:
    SubscriptionFactory.create(events=["incident.acknowledged"])
    made = AttemptFactory.create(
        call__prompt=AudioPromptFactory.create(), recipient__name="Ada Lovelace"
    )
    ParticipantFactory.create(
        call=made.call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    lines.run(lines.deliver(made.call, *answered(made.call)))
    lines.press(made.call, "3", "1")  # 3 means nothing in the default map; 1 acknowledges
    lines.press(made.call, "1")  # a second 1 changes nothing
    (body,) = bodies("incident.acknowledged")
    assert body["data"]["person"] == {
        "name": "Ada Lovelace",
        "identifier": made.recipient.identifier,
        "via": "callout",
    }
    assert body["data"]["incident"]["id"] == made.call.incident_id


def test_declining_by_key_tells_nothing(lines: Lines, provider: FakeProvider) -> None:
    SubscriptionFactory.create(events=ALL)
    made = AttemptFactory.create(call__prompt=AudioPromptFactory.create())
    ParticipantFactory.create(
        call=made.call, identifier=made.recipient.identifier, state=ParticipantState.RINGING
    )
    lines.run(lines.deliver(made.call, *answered(made.call)))
    lines.press(made.call, "2")
    assert bodies("incident.acknowledged") == []


def test_a_key_on_the_bridge_tells_acknowledged_via_the_bridge(
    lines: Lines, provider: FakeProvider
) -> None:
    SubscriptionFactory.create(events=["incident.acknowledged"])
    call = CallFactory.create(mode=CallMode.BRIDGE, state=CallState.ESTABLISHED)
    ParticipantFactory.create(call=call, identifier="+14255550123", state=ParticipantState.JOINED)
    lines.press(call, "1")
    lines.press(call, "1")  # acknowledged once
    (body,) = bodies("incident.acknowledged")
    assert body["data"]["person"] == {
        "name": "+14255550123",
        "identifier": "+14255550123",
        "via": "bridge",
    }


def test_a_callout_that_tried_everyone_tells_finished_with_counts() -> None:
    SubscriptionFactory.create(events=["callout.finished"])
    made = AttemptFactory.create(recipient__callout__max_attempts=1)
    with transaction.atomic():
        settle_attempt(attempt=made, outcome=Outcome.NO_ANSWER)
    (body,) = bodies("callout.finished")
    callout = body["data"]["callout"]
    assert (callout["state"], callout["stop_reason"]) == (CalloutState.FINISHED, "")
    assert callout["recipients"] == 1 and callout["counts"]["not_reached"] == 1
    assert body["data"]["incident"]["id"] == made.call.incident_id


def test_a_stopped_callout_tells_finished_with_its_reason(provider: FakeProvider) -> None:
    SubscriptionFactory.create(events=["callout.finished"])
    callout = declared_callout(3)
    stop_callout(callout=callout, reason=StopReason.OPERATOR, actor=None)
    (body,) = bodies("callout.finished")
    data = body["data"]["callout"]
    assert (data["state"], data["stop_reason"]) == ("stopped", "operator")
    assert data["counts"]["stopped"] == 3 and data["recipients"] == 3


def test_escalated_is_for_the_escalation_feature_to_emit() -> None:
    SubscriptionFactory.create(events=["incident.escalated"])
    incident = IncidentFactory.create(declared_by=None)
    emit_incident_escalated(incident=incident, step=2, policy="Night", called=3)
    (body,) = bodies("incident.escalated")
    assert body["data"]["escalation"] == {"step": 2, "policy": "Night", "called": 3}
