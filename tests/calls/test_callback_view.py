"""The provider's callback endpoint, driven through Django's test client."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calls.callbacks import CallbackParseError
from calls.models import Call, CallEvent, CallState, MediaState, ParticipantState
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import Delivery
from tests.factories import AudioPromptFactory, CallFactory, ParticipantFactory

pytestmark = pytest.mark.dialect("preview")

LEG = "0a1f0000-1111-2222-3333-444455556666"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def envelope(kind: str, event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "id": None,
        "topic": None,
        "subject": f"callLeg/{LEG}/{kind}",
        "eventType": f"Microsoft.Communication.{event_type}",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
        "data": {"CallLegId": LEG, **data},
        "metadataVersion": None,
        "dataVersion": None,
    }


def state_event(state: str, at: datetime = T0) -> dict[str, Any]:
    return envelope("callState", "CallLegStateChanged", {"CallState": state}, at)


def roster_event(numbers: list[str], at: datetime) -> dict[str, Any]:
    people = [
        {
            "Identifier": {"RawId": "4:" + n, "PhoneNumber": {"Value": n}},
            "ParticipantId": f"pid-{n}",
            "IsMuted": False,
        }
        for n in numbers
    ]
    return envelope("participantsUpdated", "ParticipantsUpdated", {"Participants": people}, at)


def post(call: Call, body: Any, secret: str | None = None) -> Any:
    return Client().post(
        f"/calls/{call.pk}/events/{secret or call.callback_secret}/",
        data=json.dumps(body),
        content_type="application/json",
    )


@pytest.fixture
def call(db: None) -> Call:
    call = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHING)
    for number in ("+14255550101", "+14255550102"):
        ParticipantFactory.create(call=call, identifier=number, state=ParticipantState.RINGING)
    return call


def test_wrong_secret_is_refused_and_nothing_is_stored(call: Call) -> None:
    response = post(call, [state_event("Established")], secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_secret"
    assert not CallEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_call_gets_404() -> None:
    response = Client().post("/calls/999/events/x/", data="[]", content_type="application/json")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}


@pytest.mark.parametrize("body", ["not json", "[]", '[{"eventType": 3}]', '{"data": {}}'])
def test_malformed_body_gets_400_and_changes_nothing(call: Call, body: str) -> None:
    response = Client().post(
        f"/calls/{call.pk}/events/{call.callback_secret}/",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}
    assert not CallEvent.objects.exists()


def test_event_for_another_call_leg_is_refused(call: Call) -> None:
    event = state_event("Established")
    event["data"]["CallLegId"] = "another-leg"
    response = post(call, [event])
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_call"
    assert not CallEvent.objects.exists()


def test_a_redelivered_event_is_stored_and_applied_once(call: Call) -> None:
    body = [roster_event(["+14255550101"], T0)]
    assert post(call, body).json() == {"received": 1}
    assert post(call, body).json() == {"received": 1}
    assert CallEvent.objects.count() == 1
    assert call.incident.timeline.filter(text__contains="joined").count() == 1


def test_a_bare_object_is_accepted_like_an_array(call: Call) -> None:
    assert post(call, state_event("Established")).status_code == 200
    call.refresh_from_db()
    assert call.state == CallState.ESTABLISHED


def test_out_of_order_roster_snapshots_end_in_the_newest_state(call: Call) -> None:
    both = roster_event(["+14255550101", "+14255550102"], T0 + timedelta(seconds=1))
    one_left = roster_event(["+14255550101"], T0 + timedelta(seconds=5))
    post(call, [one_left])
    post(call, [both])  # older, arrives late
    states = dict(call.participants.values_list("identifier", "state"))
    assert states == {
        "+14255550101": ParticipantState.JOINED,
        "+14255550102": ParticipantState.RINGING,
    }


def test_call_state_never_moves_back(call: Call) -> None:
    post(call, [state_event("Terminated", T0 + timedelta(seconds=9))])
    post(call, [state_event("Established", T0 + timedelta(seconds=1))])
    call.refresh_from_db()
    assert call.state == CallState.TERMINATED
    assert set(call.participants.values_list("state", flat=True)) == {ParticipantState.FAILED}


def test_leaving_and_termination_close_the_roster(call: Call) -> None:
    post(call, [roster_event(["+14255550101", "+14255550102"], T0)])
    post(call, [roster_event(["+14255550101"], T0 + timedelta(seconds=3))])
    post(call, [state_event("Terminated", T0 + timedelta(seconds=6))])
    first, second = call.participants.order_by("identifier")
    assert (first.state, second.state) == (ParticipantState.LEFT, ParticipantState.LEFT)
    assert second.left_at == T0 + timedelta(seconds=3)
    assert first.left_at == T0 + timedelta(seconds=6)


def test_a_key_press_from_the_only_person_on_the_call_acknowledges(call: Call) -> None:
    post(call, [roster_event(["+14255550101"], T0)])
    tone = envelope("dtmf", "DtmfReceived", {"ToneInfo": {"SequenceId": 1, "Tone": "Tone1"}}, T0)
    post(call, [tone])
    participant = call.participants.get(identifier="+14255550101")
    assert participant.keys_pressed == "1"
    assert participant.acknowledged


def test_events_before_the_create_response_adopt_the_call_leg(db: None) -> None:
    call = CallFactory.create(provider_call_id="", state=CallState.PENDING)
    post(call, [state_event("Establishing")])
    call.refresh_from_db()
    assert (call.provider_call_id, call.state) == (LEG, CallState.ESTABLISHING)


def test_events_are_stored_before_they_are_applied_and_applied_in_order(call: Call) -> None:
    joined = roster_event(["+14255550101", "+14255550102"], T0)
    one_left = roster_event(["+14255550101"], T0 + timedelta(seconds=2))
    for body in (joined, one_left):
        delivery = Delivery(call.pk, call.callback_secret, json.dumps(body).encode())
        assert store_callbacks([delivery, delivery]) == [1, 1]  # redelivered: stored once
    # Stored, answered, not applied yet: nothing about the call has changed.
    assert CallEvent.objects.filter(applied_at__isnull=True).count() == 2
    assert set(call.participants.values_list("state", flat=True)) == {ParticipantState.RINGING}

    assert apply_pending_events() == 2
    states = dict(call.participants.values_list("identifier", "state"))
    assert states == {
        "+14255550101": ParticipantState.JOINED,
        "+14255550102": ParticipantState.LEFT,
    }
    assert apply_pending_events() == 0  # each event is applied once


def test_a_burst_of_key_presses_is_applied_as_one_batch(call: Call) -> None:
    call.participants.filter(identifier="+14255550101").update(state=ParticipantState.JOINED)
    tones = [
        envelope("dtmfReceived", "DtmfReceived", {"ToneInfo": {"SequenceId": n, "Tone": "2"}}, T0)
        for n in range(20)
    ]
    deliveries = [
        Delivery(call.pk, call.callback_secret, json.dumps(tone).encode()) for tone in tones
    ]
    assert store_callbacks(deliveries) == [1] * 20
    with CaptureQueriesContext(connection) as queries:
        assert apply_pending_events() == 20

    def count(prefix: str, table: str) -> int:
        return sum(q["sql"].startswith(prefix) and f'"{table}"' in q["sql"] for q in queries)

    # Which calls have pending events, then that call's events: one batch.
    assert count("SELECT", "calls_callevent") == 2
    # The person's row is written once, and the 20 timeline lines in one INSERT.
    assert count("UPDATE", "calls_participant") == 1
    assert count("INSERT", "incidents_timelineentry") == 1
    person = call.participants.get(identifier="+14255550101")
    assert person.keys_pressed == "2" * 20
    assert call.incident.timeline.filter(text__contains="pressed 2").count() == 20


def test_the_events_of_one_callback_reach_dashboards_as_one_numbered_message(
    call: Call, listen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    listener = listen(call.incident_id)
    with django_capture_on_commit_callbacks(execute=True):
        post(call, [roster_event(["+14255550101"], T0)])
    (message,) = listener.messages()
    kinds = [(event["kind"], event["seq"]) for event in message["events"]]
    assert kinds == [("participant", 1), ("timeline", 2)]
    line = call.incident.timeline.get()
    assert message["events"][1]["data"]["id"] == line.pk


def test_a_batch_stores_the_callbacks_that_pass_and_refuses_each_other_on_its_own(
    call: Call,
) -> None:
    body = json.dumps([state_event("Established")]).encode()
    outcomes = store_callbacks(
        [
            Delivery(call.pk, call.callback_secret, body),
            Delivery(call.pk, "not-the-secret", body),
            Delivery(999, "x", body),
            Delivery(call.pk, call.callback_secret, b"not json"),
        ]
    )
    assert outcomes[0] == 1
    assert [getattr(o, "code", None) for o in outcomes[1:]] == [
        "bad_secret",
        "unknown_call",
        "not_json",
    ]
    assert CallEvent.objects.count() == 1


# Committed for real: SQLite checks foreign keys at commit, which a test transaction never does.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_call_deleted_while_its_batch_is_stored_refuses_only_its_callback(call: Call) -> None:
    doomed = CallFactory.create(provider_call_id="")
    deleted: list[int] = []

    def delete_the_call_once_it_is_read(execute: Any, sql: str, *args: Any) -> Any:
        result = execute(sql, *args)
        if not deleted and sql.startswith("SELECT") and '"calls_call"' in sql:
            deleted.append(doomed.pk)  # first, as the delete runs through this wrapper too
            Call.objects.filter(pk=doomed.pk).delete()
        return result

    body = json.dumps([state_event("Established")]).encode()
    with connection.execute_wrapper(delete_the_call_once_it_is_read):
        outcomes = store_callbacks(
            [
                Delivery(doomed.pk, doomed.callback_secret, body),
                Delivery(call.pk, call.callback_secret, body),
            ]
        )
    assert deleted == [doomed.pk]
    assert getattr(outcomes[0], "code", None) == "unknown_call"
    assert outcomes[1] == 1
    assert list(CallEvent.objects.values_list("call_id", flat=True)) == [call.pk]


def test_an_established_call_plays_its_prompt_aside_from_the_applier(
    call: Call, provider: Any, django_capture_on_commit_callbacks: Any
) -> None:
    call.prompt = AudioPromptFactory.create()
    call.save(update_fields=["prompt"])
    body = json.dumps([state_event("Established")]).encode()
    assert store_callbacks([Delivery(call.pk, call.callback_secret, body)]) == [1]
    handed_aside: list[Callable[[], None]] = []
    with django_capture_on_commit_callbacks(execute=True):
        apply_pending_events(run_aside=handed_aside.append)
    # Applying only handed the provider request over; it runs when that work runs.
    assert "play" not in provider.operations()
    (play,) = handed_aside
    with django_capture_on_commit_callbacks(execute=True):
        play()
    assert provider.operations() == ["play"]
    call.refresh_from_db()
    assert call.media_state == MediaState.PLAYING


def test_a_call_whose_events_fail_to_apply_does_not_hold_up_the_others(call: Call) -> None:
    other = CallFactory.create(provider_call_id="another-leg", state=CallState.ESTABLISHING)
    event = state_event("Established")
    event["data"]["CallLegId"] = other.provider_call_id
    body = json.dumps([event]).encode()
    assert store_callbacks([Delivery(other.pk, other.callback_secret, body)]) == [1]
    # A stored event this version cannot apply (a bug, or a format it no longer reads).
    CallEvent.objects.create(call=call, event_type="Broken", payload={"eventType": 3}, digest="x")
    with pytest.raises(CallbackParseError):
        apply_pending_events()
    other.refresh_from_db()
    assert other.state == CallState.ESTABLISHED
    assert CallEvent.objects.filter(applied_at__isnull=True).get().call_id == call.pk
