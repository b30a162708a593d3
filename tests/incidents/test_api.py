from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from callouts.models import Callout
from calls.models import Call, CallMode, CallState, ParticipantState
from contacts.models import Contact
from incidents.models import IdempotencyKey, Incident, IncidentKind, IncidentStatus
from tests.callouts.conftest import run_tasks
from tests.conftest import Listener, token_client
from tests.factories import (
    AudioPromptFactory,
    CallFactory,
    ContactGroupFactory,
    IncidentFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.provider_fake import FakeProvider


def _group_of(*numbers: str) -> Any:
    group = ContactGroupFactory.create()
    group.members.add(
        *(Contact.objects.get_or_create(phone_number=n, defaults={"name": n})[0] for n in numbers)
    )
    return group


# --- List, filters, pagination -------------------------------------------------------------


@pytest.mark.django_db
def test_list_is_paginated_with_open_incidents_first(viewer: User) -> None:
    IncidentFactory.create_batch(3, status=IncidentStatus.RESOLVED, closed_at=timezone.now())
    open_incident = IncidentFactory.create(status=IncidentStatus.ACTIVE)
    client = token_client(viewer)

    first = client.get("/api/incidents/", {"page_size": 2}).json()
    assert first["count"] == 4 and len(first["results"]) == 2
    assert first["results"][0]["id"] == open_incident.pk
    assert first["next"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None


@pytest.mark.django_db
def test_pages_hold_50_by_default_and_200_at_most(viewer: User) -> None:
    user = UserFactory.create()
    Incident.objects.bulk_create(Incident(title=f"#{n}", declared_by=user) for n in range(201))
    client = token_client(viewer)
    assert len(client.get("/api/incidents/").json()["results"]) == 50
    response = client.get("/api/incidents/", {"page_size": 10_000})
    assert response.status_code == 200 and len(response.json()["results"]) == 200


@pytest.mark.django_db
def test_list_filters_by_status_severity_and_declared_range(viewer: User) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=3), tick=False):
        old = IncidentFactory.create(severity="critical")
    recent_critical = IncidentFactory.create(severity="critical")
    IncidentFactory.create(severity="minor")
    resolved = IncidentFactory.create(status=IncidentStatus.RESOLVED, closed_at=now)
    client = token_client(viewer)

    def ids(**params: str) -> set[int]:
        response = client.get("/api/incidents/", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(status="resolved") == {resolved.pk}
    assert ids(severity="critical") == {old.pk, recent_critical.pk}
    since = (now - timedelta(days=1)).isoformat()
    assert old.pk not in ids(declared_after=since)
    assert ids(severity="critical", declared_before=since) == {old.pk}


@pytest.mark.django_db
def test_list_shows_real_incidents_unless_asked_for_another_kind(viewer: User) -> None:
    incident = IncidentFactory.create()
    run = IncidentFactory.create(kind=IncidentKind.REMINDER)
    client = token_client(viewer)

    def rows(**params: str) -> list[tuple[int, str]]:
        response = client.get("/api/incidents/", params)
        assert response.status_code == 200, response.json()
        return [(row["id"], row["kind"]) for row in response.json()["results"]]

    assert rows() == [(incident.pk, "incident")]  # as the dashboard's list
    assert rows(kind="reminder") == [(run.pk, "reminder")]
    assert client.get(f"/api/incidents/{run.pk}/").json()["kind"] == "reminder"
    assert client.get("/api/incidents/", {"kind": "meeting"}).status_code == 400


@pytest.mark.django_db
def test_bad_filter_is_a_validation_error(viewer: User) -> None:
    response = token_client(viewer).get("/api/incidents/", {"status": "on-fire"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "status" in response.json()["errors"]


# --- Retrieve and timeline -----------------------------------------------------------------


@pytest.mark.django_db
def test_retrieve_shows_calls_and_participants(viewer: User) -> None:
    call = CallFactory.create(state=CallState.ESTABLISHED)
    call.participants.create(identifier="+14255550101", state=ParticipantState.JOINED)
    body = token_client(viewer).get(f"/api/incidents/{call.incident_id}/").json()
    assert body["calls"][0]["id"] == call.pk
    assert body["calls"][0]["state"] == "established"
    assert body["calls"][0]["participants"][0]["identifier"] == "+14255550101"


@pytest.mark.django_db
def test_timeline_lists_entries_oldest_first(viewer: User) -> None:
    incident = IncidentFactory.create()
    now = timezone.now()
    later = TimelineEntryFactory.create(incident=incident, at=now, text="Second")
    earlier = TimelineEntryFactory.create(incident=incident, at=now - timedelta(minutes=1))
    body = token_client(viewer).get(f"/api/incidents/{incident.pk}/timeline/").json()
    assert [e["id"] for e in body["results"]] == [earlier.pk, later.pk]


# --- Declare -------------------------------------------------------------------------------


def _next_incident_id() -> int:
    return (Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def _live_updates(listener: Listener) -> list[tuple[str, Any]]:
    # A message carries one event, or a batch of them under "events".
    events = [e for m in listener.drain() for e in m.get("events", [m])]
    return [
        (e["kind"], e["data"].get("state") or e["data"].get("status") or e["data"]["kind"])
        for e in events
    ]


def _shape(incident: Incident) -> Any:
    calls = [
        (c.mode, c.state, c.prompt_id, sorted(c.participants.values_list("state", "identifier")))
        for c in incident.calls.all()
    ]
    return incident.status, calls


# Listeners must exist before the incident does, so its id must be predictable.
@pytest.mark.django_db(transaction=True, reset_sequences=True, serialized_rollback=True)
def test_declare_through_the_api_matches_the_dashboard(
    operator: User,
    operator_client: Any,
    provider: FakeProvider,
    listen: type[Listener],
    django_capture_on_commit_callbacks: Any,
) -> None:
    group = _group_of("+14255550101", "+14255550102")
    prompt = AudioPromptFactory.create(is_default=True)

    dashboard_updates = listen(_next_incident_id())
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(
            "/incidents/declare/",
            {
                "title": "Fire",
                "severity": "major",
                "mode": "bridge",
                "groups": [group.pk],
                "numbers": "+1 425 555 0103",
                "prompt": prompt.pk,
            },
        )
    api_updates = listen(_next_incident_id())
    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(operator).post(
            "/api/incidents/",
            {"title": "Fire", "groups": [group.pk], "targets": ["+1 425 555 0103"]},
            format="json",
        )
    assert response.status_code == 201, response.json()

    dashboard, api = Incident.objects.order_by("pk")
    assert response.json()["id"] == api.pk
    assert response["Location"] == f"/api/incidents/{api.pk}/"
    # The same calls, to the same people, with the same prompt and outcome...
    assert [sorted(numbers) for numbers in provider.dialled()] == [
        ["+14255550101", "+14255550102", "+14255550103"]
    ] * 2
    assert _shape(api) == _shape(dashboard)
    assert _shape(api)[0] == IncidentStatus.ACTIVE
    # ...and the same live updates on the incident's dashboard, in the same order.
    assert _live_updates(api_updates) == _live_updates(dashboard_updates) != []


@pytest.mark.django_db
def test_declare_in_broadcast_mode_stores_a_call_out_and_the_worker_dials_each_person(
    operator: User, provider: FakeProvider, settings: Any
) -> None:
    settings.CALLOUT_STARTS_PER_SECOND = 1_000_000  # both starts due at once
    response = token_client(operator).post(
        "/api/incidents/",
        {"title": "Outage", "targets": ["+14255550101", "8:acs:r_1"], "mode": CallMode.BROADCAST},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == IncidentStatus.ACTIVE
    assert response.json()["calls"] == [] and provider.operations() == []  # nobody dialled yet
    callout = Callout.objects.get(incident_id=response.json()["id"])
    assert list(callout.recipients.values_list("identifier", flat=True)) == [
        "+14255550101",
        "8:acs:r_1",
    ]
    run_tasks()  # what a worker does
    assert provider.operations() == ["create_call", "create_call"]


@pytest.mark.django_db
def test_declare_rejects_bad_numbers_field_by_field(operator: User, provider: FakeProvider) -> None:
    response = token_client(operator).post(
        "/api/incidents/", {"title": "X", "targets": ["+14255550101", "555"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["targets"]["1"] == [
        "Enter a phone number in international format, e.g. +14255550123."
    ]
    assert provider.operations() == [] and not Incident.objects.exists()


@pytest.mark.django_db
def test_declare_with_nobody_to_call_is_refused_before_anything_is_stored(
    operator: User, provider: FakeProvider
) -> None:
    empty_group = ContactGroupFactory.create()
    response = token_client(operator).post(
        "/api/incidents/", {"title": "X", "groups": [empty_group.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "nothing_to_call"
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_provider_refusal_still_answers_201_with_the_failed_call(
    operator: User, provider: FakeProvider
) -> None:
    provider.responses.append(httpx.Response(400, json={"code": "8523", "message": "bad target"}))
    response = token_client(operator).post(
        "/api/incidents/", {"title": "Flood", "targets": ["+14255550101"]}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "declared"
    assert body["calls"][0]["state"] == "failed"
    assert body["calls"][0]["last_error"] == "bad target"

    retried = token_client(operator).post(f"/api/calls/{body['calls'][0]['id']}/retry/")
    assert retried.status_code == 200 and retried.json()["state"] == "establishing"


# --- Idempotent declare --------------------------------------------------------------------


def _declare(client: Any, key: str, **body: Any) -> Any:
    payload = {"title": "Disk full", "targets": ["+14255550101"], **body}
    return client.post("/api/incidents/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_answer_and_calls_nobody_twice(
    operator: User, provider: FakeProvider
) -> None:
    client = token_client(operator)
    first = _declare(client, "alert-42")
    again = _declare(client, "alert-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"]
    assert Incident.objects.count() == 1 and Call.objects.count() == 1
    assert provider.operations() == ["create_call"]


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(operator: User, provider: FakeProvider) -> None:
    client = token_client(operator)
    _declare(client, "alert-42")
    response = _declare(client, "alert-42", title="Something else")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_user(operator: User, admin_user: User, provider: FakeProvider) -> None:
    assert _declare(token_client(operator), "same").status_code == 201
    assert _declare(token_client(admin_user), "same").status_code == 201
    assert Incident.objects.count() == 2


@pytest.mark.django_db
def test_duplicate_while_the_first_is_in_flight_is_a_conflict(
    operator: User, provider: FakeProvider
) -> None:
    client = token_client(operator)
    first = _declare(client, "alert-42")
    # The state a concurrent first request leaves before its declaring transaction commits.
    IdempotencyKey.objects.filter(key="alert-42").update(response_status=None, incident=None)
    response = _declare(client, "alert-42")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_request_in_flight"
    assert first.status_code == 201 and provider.operations() == ["create_call"]


@pytest.mark.django_db
def test_a_failed_request_frees_its_key_for_a_retry(operator: User, provider: FakeProvider) -> None:
    client = token_client(operator)
    assert _declare(client, "alert-42", targets=["555"]).status_code == 400
    assert _declare(client, "alert-42").status_code == 201


@pytest.mark.django_db
def test_keys_expire_after_a_day(operator: User, provider: FakeProvider) -> None:
    client = token_client(operator)
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        _declare(client, "alert-42")
    second = _declare(client, "alert-42", title="A day later")
    assert second.status_code == 201
    assert Incident.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_overlong_key_is_refused(operator: User, provider: FakeProvider) -> None:
    response = _declare(token_client(operator), "k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


# --- Rate limit ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_declare_is_rate_limited_per_token(
    operator: User, admin_user: User, provider: FakeProvider, settings: Any
) -> None:
    settings.DECLARE_RATE = "2/min"
    client = token_client(operator)
    for attempt in range(2):
        assert _declare(client, f"alert-{attempt}").status_code == 201
    limited = client.post("/api/incidents/", {"title": "X"}, format="json")
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    # Reading is not limited, and another user has their own allowance.
    assert client.get("/api/incidents/").status_code == 200
    assert _declare(token_client(admin_user), "x").status_code == 201


# --- Transitions ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_resolve_hangs_up_and_answers_with_the_incident(
    operator: User, provider: FakeProvider
) -> None:
    call = CallFactory.create(incident__status=IncidentStatus.ACTIVE, state=CallState.ESTABLISHED)
    response = token_client(operator).post(f"/api/incidents/{call.incident_id}/resolve/")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["calls"][0]["state"] == "terminating"
    assert provider.operations() == ["terminate"]
    assert provider.calls_asked("terminate") == [call.provider_call_id]


@pytest.mark.django_db
def test_resolving_twice_is_a_conflict(operator: User, provider: FakeProvider) -> None:
    incident = IncidentFactory.create(status=IncidentStatus.ACTIVE)
    client = token_client(operator)
    assert client.post(f"/api/incidents/{incident.pk}/resolve/").status_code == 200
    response = client.post(f"/api/incidents/{incident.pk}/resolve/")
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "message": "An incident that is resolved cannot become resolved.",
    }


@pytest.mark.django_db
def test_cancel_closes_a_declared_incident(operator: User, provider: FakeProvider) -> None:
    incident = IncidentFactory.create()
    response = token_client(operator).post(f"/api/incidents/{incident.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
