"""Idempotency keys whose request died: a retry replays what was declared, or declares once.

The state a killed server leaves is written directly: a claim unanswered, linked to its
incident or not (incidents.idempotency).
"""

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from calls.models import Call
from calls.targets import resolve_targets
from incidents.errors import IdempotentRequestInFlight
from incidents.idempotency import (
    claim_idempotency_key,
    link_idempotency_key,
    release_idempotency_key,
    request_hash,
)
from incidents.models import IdempotencyKey, Incident
from incidents.services import declare_incident
from tests.conftest import token_client
from tests.provider_fake import FakeProvider

PAYLOAD = {"title": "Disk full", "targets": ["+14255550101"]}


def _declare(client: Any, key: str = "alert-42") -> Any:
    return client.post("/api/incidents/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _died_before_declaring(user: User, *, seconds_ago: float) -> IdempotencyKey:
    """The claim of a request killed after claiming its key, before its transaction committed."""
    return IdempotencyKey.objects.create(
        user=user,
        key="alert-42",
        request_hash=request_hash(PAYLOAD),
        created_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


@pytest.mark.django_db
def test_the_declaring_transaction_links_the_key_to_its_incident(
    operator: User, provider: FakeProvider
) -> None:
    response = _declare(token_client(operator))
    claim = IdempotencyKey.objects.get()
    assert claim.incident_id == response.json()["id"] and claim.response_status == 201


@pytest.mark.django_db
def test_a_retry_after_a_request_died_having_declared_replays_the_incident(
    operator: User, provider: FakeProvider
) -> None:
    client = token_client(operator)
    first = _declare(client)
    # Killed after its commit, before it stored the answer.
    IdempotencyKey.objects.update(response_status=None, response_body=None)
    again = _declare(client)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert Incident.objects.count() == 1 and provider.operations() == ["create_call"]
    assert IdempotencyKey.objects.get().response_status == 201  # later repeats: the stored one


@pytest.mark.django_db
def test_a_retry_of_a_claim_that_declared_nothing_waits_the_grace_period(
    operator: User, provider: FakeProvider, settings: Any
) -> None:
    settings.IDEMPOTENCY_GRACE_SECONDS = 30
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        _died_before_declaring(operator, seconds_ago=12)
        response = _declare(token_client(operator))
    assert response.status_code == 409 and response["Retry-After"] == "18"
    assert response.json() == {
        "code": "idempotency_request_in_flight",
        "message": "A request with this Idempotency-Key is still being processed; "
        "retry after 18 seconds.",
    }
    assert Incident.objects.count() == 0 and provider.requests == []


@pytest.mark.django_db
def test_a_retry_takes_over_a_claim_that_declared_nothing_after_the_grace_period(
    operator: User, provider: FakeProvider, settings: Any
) -> None:
    settings.IDEMPOTENCY_GRACE_SECONDS = 30
    _died_before_declaring(operator, seconds_ago=31)
    client = token_client(operator)
    response = _declare(client)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    claim = IdempotencyKey.objects.get()
    assert claim.incident_id == response.json()["id"] and claim.response_status == 201
    assert _declare(client).json() == response.json()
    assert Incident.objects.count() == 1 and Call.objects.count() == 1


@pytest.mark.django_db
def test_a_first_request_whose_claim_was_taken_over_declares_nothing(
    operator: User, provider: FakeProvider
) -> None:
    claim = claim_idempotency_key(user=operator, key="slow", body_hash="h")
    # A retry took the claim over while this (slow, not dead) request was still running.
    IdempotencyKey.objects.filter(pk=claim.pk).update(created_at=timezone.now())
    with pytest.raises(IdempotentRequestInFlight):
        declare_incident(
            title="Slow",
            targets=resolve_targets(numbers=["+14255550101"]),
            declared_by=operator,
            on_declared=lambda incident: link_idempotency_key(claim=claim, incident=incident),
        )
    assert Incident.objects.count() == 0 and provider.requests == []
    release_idempotency_key(claim=claim)  # the request's failure path: the retry's claim stays
    assert IdempotencyKey.objects.filter(key="slow").exists()


@pytest.mark.django_db
def test_a_failure_after_declaring_keeps_the_linked_key(
    operator: User, provider: FakeProvider
) -> None:
    claim = claim_idempotency_key(user=operator, key="k", body_hash="h")
    incident = declare_incident(
        title="Declared",
        targets=resolve_targets(numbers=["+14255550101"]),
        declared_by=operator,
        on_declared=lambda incident: link_idempotency_key(claim=claim, incident=incident),
    )
    release_idempotency_key(claim=claim)  # e.g. rendering the answer failed
    assert IdempotencyKey.objects.get(key="k").incident == incident


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_concurrent_retries_of_a_dead_claim_exactly_one_declares(
    operator: User, provider: FakeProvider, settings: Any
) -> None:
    settings.IDEMPOTENCY_GRACE_SECONDS = 30
    _died_before_declaring(operator, seconds_ago=60)
    start = threading.Barrier(2)
    answers: list[int] = []

    def retry() -> None:
        try:
            start.wait()
            answers.append(_declare(token_client(operator)).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 409]
    assert Incident.objects.count() == 1 and Call.objects.count() == 1
