"""Request ids: one per request, honoured when sane, and carried with a provider callback from
the request that brought it through storing and applying to the broadcast."""

import asyncio
import contextvars
import json
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.test import Client

from calls.background import CallbackPipeline
from calls.errors import CallbackNotStored
from calls.models import CallEvent, CallState
from calls.services import apply_pending_events, store_callbacks
from calls.services.ingest import CallbackSink, Delivery, ingest_callback
from config.request_ids import bound_request_id
from incidents.metrics import CALLBACK_TO_BROADCAST
from tests.ops.callbacks import T0, event_type, post, ringing_call, state_event
from tests.ops.conftest import JsonLogs
from tests.provider_callbacks import signed

STEPS = {
    "config.requests",  # the request's own line: ingest
    "calls.services.ingest",  # stored
    "calls.services.applying",  # applied
    "incidents.events",  # broadcast
}


@pytest.mark.django_db
def test_a_request_gets_a_new_id_answered_in_its_header(json_logs: JsonLogs) -> None:
    response = Client().get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    (line,) = json_logs.with_request_id(request_id)
    assert (line["logger"], line["method"], line["path"], line["status"]) == (
        "config.requests",
        "GET",
        "/healthz",
        200,
    )
    assert line["level"] == "info" and line["timestamp"].endswith("Z")
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_a_sane_incoming_id_is_kept() -> None:
    response = Client(headers={"X-Request-ID": "lb-7f3a:42.x_y-z"}).get("/healthz")
    assert response["X-Request-ID"] == "lb-7f3a:42.x_y-z"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["", "has space", "a" * 129, '{"level":"error"}', "-starts-with-dash", "ünï"]
)
def test_an_insane_incoming_id_is_replaced(incoming: str) -> None:
    response = Client(headers={"X-Request-ID": incoming}).get("/healthz")
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_the_callback_url_secret_is_not_logged(json_logs: JsonLogs) -> None:
    call = ringing_call()
    post(call, [state_event(call, "CallConnected")], **{"X-Request-ID": "req-secret"})
    (line,) = [
        x for x in json_logs.with_request_id("req-secret") if x["logger"] == "config.requests"
    ]
    assert line["path"] == f"/calls/{call.pk}/events/<secret>/"
    post(call, {"not": "an event"})  # refused: django.request logs the path too
    assert "Bad Request: /calls/" in json_logs.stream.getvalue()
    assert call.callback_secret not in json_logs.stream.getvalue()


@pytest.mark.django_db
def test_a_callback_is_followed_by_its_id_from_ingest_to_broadcast(
    json_logs: JsonLogs, django_capture_on_commit_callbacks: Any
) -> None:
    call = ringing_call()
    with django_capture_on_commit_callbacks(execute=True):
        connected = state_event(call, "CallConnected")
        response = post(call, [connected], **{"X-Request-ID": "req-cb-1"})
    assert response.status_code == 200 and response["X-Request-ID"] == "req-cb-1"
    lines = json_logs.with_request_id("req-cb-1")
    assert {line["logger"] for line in lines} >= STEPS
    stored = next(x for x in lines if x["logger"] == "calls.services.ingest")
    applied = next(x for x in lines if x["logger"] == "calls.services.applying")
    broadcast = next(x for x in lines if x["logger"] == "incidents.events")
    assert (stored["call_id"], stored["events"]) == (call.pk, 1)
    assert applied["event_type"] == event_type(connected)
    assert broadcast["group"] == f"incident.{call.incident_id}"
    assert CallEvent.objects.get().request_id == "req-cb-1"


@pytest.mark.django_db
def test_a_worker_applies_with_the_id_the_stored_event_kept(
    json_logs: JsonLogs, django_capture_on_commit_callbacks: Any
) -> None:
    """APPLY_IN_WORKER: the web process stores; a worker, in a context of its own and much
    later, applies and broadcasts, and times the broadcast from the callback's arrival."""
    call = ringing_call()
    stored: list[Delivery] = []

    def store_only(delivery: Delivery) -> int:
        stored.append(delivery)
        (outcome,) = store_callbacks([delivery])
        assert isinstance(outcome, int)
        return outcome

    before = _histogram_count_and_sum()
    with time_machine.travel(T0, tick=False) as clock:
        # A request's context, then the worker's own: nothing passes between them but the row.
        body = [state_event(call, "CallConnected")]
        contextvars.Context().run(_ingest, call, "req-worker", body, store_only)
        loggers = {line["logger"] for line in json_logs.with_request_id("req-worker")}
        assert "calls.services.ingest" in loggers and "calls.services.applying" not in loggers
        clock.shift(timedelta(seconds=2))
        with django_capture_on_commit_callbacks(execute=True):
            contextvars.Context().run(apply_pending_events)  # the worker's own context
    call.refresh_from_db()
    assert call.state == CallState.ESTABLISHED
    steps = [line["logger"] for line in json_logs.with_request_id("req-worker")]
    assert steps.count("calls.services.ingest") == 1  # stored
    assert "calls.services.applying" in steps and "incidents.events" in steps
    broadcast = next(
        x for x in json_logs.with_request_id("req-worker") if x["logger"] == "incidents.events"
    )
    assert broadcast["since_ingest_ms"] == 2000.0
    count, total = _histogram_count_and_sum()
    assert count - before[0] == 1 and total - before[1] == pytest.approx(2.0)


def _ingest(call: Any, request_id: str, body: Any, sink: CallbackSink) -> None:
    """What the callback view does, in a request whose id is `request_id`; a 503 is delivered
    again, as the provider does. (The test database is SQLite in memory with a shared cache,
    where a read on one thread can meet another thread's write as "table is locked"; a file
    database in WAL mode, as the app runs, has no such lock.)"""
    for _ in range(5):
        try:
            with bound_request_id(request_id):
                ingest_callback(
                    call_id=call.pk,
                    secret=call.callback_secret,
                    body=json.dumps(body).encode(),
                    authorization=signed().get("Authorization"),
                    sink=sink,
                )
            return
        except CallbackNotStored:
            time.sleep(0.05)
    raise AssertionError("the callback was refused five times")


def _histogram_count_and_sum() -> tuple[float, float]:
    samples = {s.name: s.value for m in CALLBACK_TO_BROADCAST.collect() for s in m.samples}
    return (
        samples["incident_reporter_callback_to_broadcast_seconds_count"],
        samples["incident_reporter_callback_to_broadcast_seconds_sum"],
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_pipeline_threads_log_each_callback_with_its_own_id(
    json_logs: JsonLogs,
) -> None:
    """Under daphne: callbacks of two requests are stored in one batch on the store thread
    and applied on the apply thread; each line names its own request."""
    call = await database_sync_to_async(ringing_call)()
    loop = asyncio.get_running_loop()
    pipeline = CallbackPipeline(loop, store=store_callbacks, apply=apply_pending_events)
    running = asyncio.create_task(pipeline.run(), context=contextvars.Context())
    bodies = {
        "req-a": [state_event(call, "CallConnected")],
        "req-b": [state_event(call, "CallDisconnected")],
    }
    try:
        for request_id, body in bodies.items():
            # From a thread of its own, as daphne runs a request's sync view.
            await loop.run_in_executor(None, _ingest, call, request_id, body, pipeline.store)
        deadline = time.monotonic() + 10
        while not all(_applied_and_broadcast(json_logs, rid) for rid in bodies):
            assert time.monotonic() < deadline, json_logs.lines()
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
    await database_sync_to_async(call.refresh_from_db)()
    assert call.state == CallState.TERMINATED


def _applied_and_broadcast(logs: JsonLogs, request_id: str) -> bool:
    loggers = {line["logger"] for line in logs.with_request_id(request_id)}
    return {"calls.services.ingest", "calls.services.applying", "incidents.events"} <= loggers
