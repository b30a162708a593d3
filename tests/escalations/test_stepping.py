"""An escalation's steps: the next runs at its time only while too few acknowledged; it
stops on the K-th acknowledgement and on closing; "escalate now"; twins and lost tasks."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from callouts.models import Callout
from calls.models import CallMode
from escalations.errors import EscalationNotRunning
from escalations.models import EscalationState, EscalationStopReason
from escalations.services.recovery import recover_escalations
from escalations.services.stepping import (
    advance_escalation,
    escalate_now,
    run_escalation_work,
    send_invitations,
)
from escalations.tasks import run_escalation
from incidents.services import resolve_incident
from tests.callouts.conftest import run_tasks
from tests.callouts.lines import Lines, state
from tests.escalations.scenario import (
    A,
    B,
    C,
    acknowledge_alone,
    bridge_of,
    declare,
    escalation_lines,
    escalation_of,
    policy,
    roster,
)
from tests.factories import CallerNumberFactory, SubscriptionFactory, UserFactory
from tests.provider_fake import FakeProvider
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db
BRIDGE, BROADCAST = CallMode.BRIDGE, CallMode.BROADCAST


@pytest.fixture
def lines(django_capture_on_commit_callbacks: Any) -> Lines:
    return Lines(django_capture_on_commit_callbacks)


@pytest.fixture(autouse=True)
def caller_number(db: None) -> None:
    CallerNumberFactory.create()


def recipients(incident: Any) -> list[str]:
    callout = Callout.objects.get(incident=incident)
    return list(callout.recipients.order_by("position").values_list("identifier", flat=True))


def steps_run_tasks() -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=run_escalation.module_path
        ).order_by("run_after")
    )


def test_step_1_is_the_declarations_calls_and_the_next_waits_for_its_time(
    provider: FakeProvider,
) -> None:
    made = policy(([A], BRIDGE, 60), ([B], BROADCAST, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made, numbers=(C,))
        escalation = escalation_of(incident)
        assert escalation.current_step == 1
        assert escalation.next_step_at == timezone.now() + timedelta(seconds=60)
        assert {p.identifier for p in bridge_of(incident).participants.all()} == {A, C}
        (task,) = steps_run_tasks()
        assert task.run_after == escalation.next_step_at
    with time_machine.travel("2026-12-02 10:00:59Z", tick=False):
        assert advance_escalation(escalation_id=escalation.pk).current_step == 1
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        escalation = advance_escalation(escalation_id=escalation.pk)
    assert escalation.current_step == 2
    assert recipients(incident) == [B]
    assert (escalation.state, escalation.stop_reason) == (
        EscalationState.FINISHED,
        EscalationStopReason.STEPS_EXHAUSTED,
    )
    assert escalation_lines(incident) == [
        f"Escalation ({made.name}) step 1 of 2: calling 2 people on the bridge call.",
        f"Escalation ({made.name}) step 2 of 2: calling 1 person one by one (call-out).",
    ]


@pytest.mark.parametrize("quorum", [1, 2])
def test_the_kth_acknowledgement_stops_it_and_no_later_step_runs(
    quorum: int, provider: FakeProvider, lines: Lines
) -> None:
    made = policy(([A, B], BRIDGE, 60), ([C], BROADCAST, 0), ack_quorum=quorum)
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        call = bridge_of(incident)
        acknowledge_alone(lines, call, A)
        assert escalation_of(incident).is_running is (quorum == 2)
        if quorum == 2:
            acknowledge_alone(lines, call, B)
    escalation = escalation_of(incident)
    assert (escalation.state, escalation.stop_reason) == (
        EscalationState.STOPPED,
        EscalationStopReason.ACKNOWLEDGED,
    )
    assert escalation.next_step_at is None
    with time_machine.travel("2026-12-02 10:05:00Z", tick=False):
        run_escalation_work(escalation_id=escalation.pk)
    assert escalation_of(incident).current_step == 1
    assert not Callout.objects.filter(incident=incident).exists()
    assert escalation_lines(incident)[-1] == (
        "Escalation stopped after step 1 of 2: enough people acknowledged."
    )


def test_with_a_quorum_of_two_one_acknowledgement_lets_the_next_step_run(
    provider: FakeProvider, lines: Lines
) -> None:
    made = policy(([A], BRIDGE, 60), ([C], BROADCAST, 0), ack_quorum=2)
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        acknowledge_alone(lines, bridge_of(incident), A)
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        run_escalation_work(escalation_id=escalation_of(incident).pk)
    assert escalation_of(incident).current_step == 2
    assert recipients(incident) == [C]


def test_an_acknowledgement_whose_stop_was_lost_still_stops_it_at_the_next_step(
    provider: FakeProvider, lines: Lines
) -> None:
    made = policy(([A], BRIDGE, 60), ([C], BROADCAST, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        participant = bridge_of(incident).participants.get(identifier=A)
        participant.acknowledged = True  # as if the worker died before the after-commit stop
        participant.save()
        assert escalation_of(incident).is_running
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        escalation = advance_escalation(escalation_id=escalation_of(incident).pk)
    assert escalation.stop_reason == EscalationStopReason.ACKNOWLEDGED
    assert not Callout.objects.filter(incident=incident).exists()


def test_resolving_stops_it(provider: FakeProvider) -> None:
    made = policy(([A], BRIDGE, 60), ([C], BROADCAST, 0))
    operator = UserFactory.create(username="olga")
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        resolve_incident(incident=incident, actor=operator)
    escalation = escalation_of(incident)
    assert (escalation.state, escalation.stop_reason) == (
        EscalationState.STOPPED,
        EscalationStopReason.INCIDENT_CLOSED,
    )
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        run_escalation_work(escalation_id=escalation.pk)
    assert escalation_of(incident).current_step == 1
    assert escalation_lines(incident)[-1] == (
        "Escalation stopped after step 1 of 2: the incident was closed by olga."
    )


def test_escalate_now_runs_the_next_step_at_once_and_its_old_task_does_nothing() -> None:
    made = policy(([A], BROADCAST, 600), ([B], BROADCAST, 300), ([C], BROADCAST, 0))
    operator = UserFactory.create(username="olga")
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        escalation = escalate_now(incident=incident, actor=operator)
        assert escalation.current_step == 2
        assert escalation.next_step_at == timezone.now() + timedelta(seconds=300)
    assert recipients(incident) == [A, B]
    assert escalation_lines(incident)[-1].endswith("(olga escalated now).")
    with time_machine.travel("2026-12-02 10:10:00Z", tick=False):  # step 1's task, late
        run_escalation_work(escalation_id=escalation.pk)
    assert escalation_of(incident).current_step == 3  # step 3 was due at 10:06: once
    with time_machine.travel("2026-12-02 10:11:00Z", tick=False):
        run_escalation_work(escalation_id=escalation.pk)
        with pytest.raises(EscalationNotRunning):
            escalate_now(incident=incident, actor=operator)
    assert recipients(incident) == [A, B, C]
    assert len(escalation_lines(incident)) == 3


def test_the_step_task_run_twice_runs_the_step_once() -> None:
    SubscriptionFactory.create(events=["incident.escalated"])
    made = policy(([A], BROADCAST, 60), ([B], BROADCAST, 60), ([C], BROADCAST, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
    with time_machine.travel("2026-12-02 10:01:30Z", tick=False):
        run_escalation_work(escalation_id=escalation_of(incident).pk)
        run_escalation_work(escalation_id=escalation_of(incident).pk)
    assert escalation_of(incident).current_step == 2
    assert recipients(incident) == [A, B]
    assert Delivery.objects.filter(event_type="incident.escalated").count() == 2  # steps 1, 2


def test_recovery_enqueues_an_overdue_step_whose_task_was_lost_once() -> None:
    made = policy(([A], BROADCAST, 60), ([B], BROADCAST, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        DBTaskResult.objects.filter(task_path=run_escalation.module_path).delete()  # lost
        assert recover_escalations() == 0  # not due yet
    with time_machine.travel("2026-12-02 10:01:05Z", tick=False):
        assert recover_escalations() == 1
        assert recover_escalations() == 0  # queued now
        ran = run_tasks()
    assert "run_escalation" in ran
    assert escalation_of(incident).current_step == 2
    assert recipients(incident) == [A, B]


def test_a_bridge_step_invites_its_people_into_the_connected_bridge(
    provider: FakeProvider, lines: Lines
) -> None:
    made = policy(([A], BRIDGE, 60), ([B, C], BRIDGE, 0), ack_quorum=1)
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        call = bridge_of(incident)
        lines.run(lines.deliver(call, state(call, "CallConnected"), roster(call, [A])))
        provider.requests.clear()
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        run_escalation_work(escalation_id=escalation_of(incident).pk)
    assert sorted(provider.invited()) == [B, C], provider.operations()
    assert (
        provider.operations().count("add_participant") == 2
    )  # one per person (calls.services.inviting)
    assert {p.identifier for p in call.participants.all()} == {A, B, C}
    escalation = escalation_of(incident)
    assert escalation.dispatched_step == escalation.current_step == 2
    with time_machine.travel("2026-12-02 10:01:01Z", tick=False):
        run_escalation_work(escalation_id=escalation.pk)  # a twin sends nothing
    assert sorted(provider.invited()) == [B, C]


def test_a_bridge_step_with_no_bridge_places_a_new_one(provider: FakeProvider) -> None:
    made = policy(([A], BROADCAST, 60), ([B], BRIDGE, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        run_escalation_work(escalation_id=escalation_of(incident).pk)
    call = bridge_of(incident)
    assert [p.identifier for p in call.participants.all()] == [B]
    assert "create_call" in provider.operations()
    assert escalation_of(incident).dispatched_step == 2


def test_invitations_a_killed_worker_left_unsent_are_sent_once_after_the_lease(
    provider: FakeProvider, lines: Lines
) -> None:
    made = policy(([A], BRIDGE, 60), ([B], BRIDGE, 0))
    with time_machine.travel("2026-12-02 10:00:00Z", tick=False):
        incident = declare(made)
        call = bridge_of(incident)
        lines.run(lines.deliver(call, state(call, "CallConnected"), roster(call, [A])))
    with time_machine.travel("2026-12-02 10:01:00Z", tick=False):
        escalation = advance_escalation(escalation_id=escalation_of(incident).pk)
        # The worker claimed the sending and was killed before the request went out.
        escalation.dispatch_claimed_at = timezone.now()
        escalation.save(update_fields=["dispatch_claimed_at"])
        DBTaskResult.objects.filter(task_path=run_escalation.module_path).delete()
        provider.requests.clear()
        send_invitations(escalation_id=escalation.pk)  # a twin within the lease: nothing
        assert provider.operations() == []
        assert recover_escalations() == 0
    with time_machine.travel("2026-12-02 10:01:31Z", tick=False):
        assert recover_escalations() == 1
        run_tasks()
        assert recover_escalations() == 0
    assert provider.invited() == [B]
    assert escalation_of(incident).dispatched_step == 2
    assert {p.identifier for p in call.participants.all()} == {A, B}


def test_numbers_typed_in_the_admin_are_copied_normalised() -> None:
    made = policy(([A], BROADCAST, 60))
    step = made.steps.get()
    step.targets = ["+1 (425) 555-0102"]  # as the admin form stores it: validated, not rewritten
    step.save()
    incident = declare(made)
    assert escalation_of(incident).steps[0]["targets"] == [B]
    assert recipients(incident) == [B]
