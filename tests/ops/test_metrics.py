"""/metrics: refused but to the token or the allowed networks; each metric counted where its
event happens, read back through the exposition (parsed as Prometheus parses it)."""

from typing import Any

import httpx
import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from callouts.models import CalloutState, RecipientStatus
from calls.errors import ProviderFailed
from calls.services import place_call
from tests.factories import CallFactory, CalloutFactory, ParticipantFactory, RecipientFactory
from tests.ops.callbacks import post, ringing_call, state_event
from tests.provider_callbacks import signed
from tests.provider_fake import FakeProvider

NAMES = {
    "incident_reporter_calls_placed",
    "incident_reporter_callbacks_ingested",
    "incident_reporter_callbacks_rejected",
    "incident_reporter_websocket_clients",
    "incident_reporter_callout_backlog_recipients",
    "incident_reporter_callback_to_broadcast_seconds",
}


def scrape(**extra: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape from loopback, by name and labels."""
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_the_exposition_parses_and_names_every_metric() -> None:
    response = Client().get("/metrics")
    families = {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert families >= NAMES


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, {"Authorization": ""}],
)
def test_refused_to_others_than_the_token_and_the_networks(headers: dict[str, str]) -> None:
    with override_settings(METRICS_TOKEN="s3cret"):
        response = Client(headers=headers).get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json() == {
        "code": "metrics_refused",
        "message": "Metrics are served to the configured token or networks only.",
    }


@pytest.mark.django_db
def test_served_to_the_token_from_anywhere() -> None:
    with override_settings(METRICS_TOKEN="s3cret"):
        client = Client(headers={"Authorization": "Bearer s3cret"})
        assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_no_token_configured_means_no_token_opens_it() -> None:
    client = Client(headers={"Authorization": "Bearer "})
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("networks", "peer", "status"),
    [
        (["127.0.0.1/32", "::1/128"], "127.0.0.1", 200),  # the default
        (["127.0.0.1/32", "::1/128"], "::1", 200),
        (["10.0.0.0/8"], "10.20.30.40", 200),
        (["10.0.0.0/8"], "127.0.0.1", 403),
        ([], "127.0.0.1", 403),  # METRICS_ALLOWED_NETWORKS=none: the token only
    ],
)
def test_served_to_the_allowed_networks(networks: list[str], peer: str, status: int) -> None:
    with override_settings(METRICS_ALLOWED_NETWORKS=networks):
        assert Client().get("/metrics", REMOTE_ADDR=peer).status_code == status


@pytest.mark.django_db
def test_calls_placed_are_counted_by_outcome(provider: FakeProvider) -> None:
    before = scrape()
    calls = []
    for _ in range(3):
        call = CallFactory.create(provider_call_id="")
        ParticipantFactory.create(call=call, identifier="+14255550101")
        calls.append(call)
    place_call(call=calls[0])  # the provider's own answer, in the dialect in force
    provider.responses = [
        httpx.Response(400, json={"code": "8523", "message": "Invalid request."}),
        httpx.Response(503, json={"message": "Try later."}),
    ]
    for refused in calls[1:]:
        with pytest.raises(ProviderFailed):
            place_call(call=refused)
    bogus = CallFactory.create(provider_call_id="")
    ParticipantFactory.create(call=bogus, identifier="not a number")
    with pytest.raises(ValueError):
        place_call(call=bogus)
    after = scrape()
    name = "incident_reporter_calls_placed_total"
    for outcome in ("placed", "refused", "unavailable", "invalid"):
        delta = value(after, name, outcome=outcome) - value(before, name, outcome=outcome)
        assert delta == 1, outcome


@pytest.mark.django_db
def test_callbacks_ingested_and_rejected_by_reason() -> None:
    call = ringing_call()
    before = scrape()
    connected = state_event(call, "CallConnected")
    post(call, [connected])
    post(call, [connected])  # a redelivery: counted, stored once
    post(call, [connected], secret="wrong")
    post(call, "not an event")
    Client(headers=signed()).post(
        "/calls/999999/events/x/", data="[]", content_type="application/json"
    )
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("incident_reporter_callbacks_ingested_total") == 2
    rejected = "incident_reporter_callbacks_rejected_total"
    assert delta(rejected, reason="bad_secret") == 1
    assert delta(rejected, reason="unknown_call") == 1
    assert delta(rejected, reason="wrong_type") == 1  # the parser's code: a string, no event


@pytest.mark.django_db
def test_the_backlog_is_the_running_callouts_pending_recipients() -> None:
    running = CalloutFactory.create()
    RecipientFactory.create_batch(3, callout=running)
    RecipientFactory.create(callout=running, status=RecipientStatus.DIALLING)
    RecipientFactory.create(callout=running, status=RecipientStatus.ACKNOWLEDGED)
    stopped = CalloutFactory.create(state=CalloutState.STOPPED, finished_at=timezone.now())
    RecipientFactory.create(callout=stopped)
    assert value(scrape(), "incident_reporter_callout_backlog_recipients") == 3
