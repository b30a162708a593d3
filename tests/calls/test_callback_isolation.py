"""One callback the database cannot store is refused alone: the others stored in the same group
commit are stored and answered 2xx (calls.services.ingest, calls.callback_limits). On SQLite
and, as CI runs the suite again there, on PostgreSQL, which refuses more (NUL in text)."""

import asyncio
import contextvars
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from calls.background import CallbackPipeline
from calls.models import Call, CallEvent, CallState
from calls.services import store_callbacks
from calls.services.ingest import Delivery
from tests.calls.test_callback_view import LEG, post, state_event
from tests.calls.test_callbacks_ga import CALL, cloud_event
from tests.factories import CallFactory

POISON = "Microsoft.Communication.Poison"


@pytest.fixture
def calls(db: None) -> tuple[Call, Call]:
    preview = CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHING)
    ga = CallFactory.create(provider_call_id=CALL, state=CallState.ESTABLISHING)
    return preview, ga


def deliver(call: Call, body: Any) -> Delivery:
    return Delivery(call.pk, call.callback_secret, body if isinstance(body, bytes) else _dump(body))


def _dump(body: Any) -> bytes:
    return json.dumps(body).encode()


HOSTILE = {
    "nul": lambda event: {**event, "data": {**event["data"], "note": "a\x00b"}},
    "nul-in-key": lambda event: {**event, "data": {**event["data"], "a\x00": 1}},
    "lone-surrogate": lambda event: {**event, "data": {**event["data"], "note": "\ud800"}},
}


@pytest.mark.parametrize("spoil", HOSTILE.values(), ids=HOSTILE.keys())
def test_text_the_database_refuses_is_refused_alone_in_both_dialects(
    calls: tuple[Call, Call], spoil: Any
) -> None:
    preview, ga = calls
    outcomes = store_callbacks(
        [
            deliver(preview, [state_event("Established")]),
            deliver(preview, [spoil(state_event("Terminated"))]),
            deliver(ga, [spoil(cloud_event("CallDisconnected", "ga-2"))]),
            deliver(ga, [cloud_event("CallConnected", "ga-1")]),
        ]
    )
    assert outcomes[0] == 1 and outcomes[3] == 1
    for refused in outcomes[1:3]:
        assert (refused.code, refused.status_code) == ("unstorable_text", 400)  # type: ignore[union-attr]
    assert CallEvent.objects.count() == 2


def test_a_number_too_large_for_json_is_refused_alone(calls: tuple[Call, Call]) -> None:
    preview, ga = calls
    huge = json.dumps([cloud_event("CallConnected", "ga-1")]).replace('"corr-1"', "1e400")
    outcomes = store_callbacks(
        [deliver(ga, huge.encode()), deliver(preview, [state_event("Established")])]
    )
    assert getattr(outcomes[0], "code", None) == "not_finite"
    assert outcomes[1] == 1


# The view verifies the dialect in force: these post the preview's unsigned envelopes.
@pytest.mark.dialect("preview")
def test_the_callback_view_answers_a_nul_with_the_json_error_shape(
    calls: tuple[Call, Call],
) -> None:
    preview, _ = calls
    event = HOSTILE["nul"](state_event("Established"))
    response = post(preview, [event])
    assert response.status_code == 400
    assert response.json()["code"] == "unstorable_text" and response.json()["message"]
    assert not CallEvent.objects.exists()


# The view verifies the dialect in force: these post the preview's unsigned envelopes.
@pytest.mark.dialect("preview")
@pytest.mark.parametrize("key", ["a\ud800", "a\x00", "caf\u00e9"])
def test_a_refusal_never_echoes_unstorable_text(calls: tuple[Call, Call], key: str) -> None:
    preview, _ = calls
    event = state_event("Established")
    response = post(preview, [{**event, "data": {**event["data"], key: {"x": "\x00"}}}])
    assert response.status_code == 400  # not a 500 from rendering the message
    assert response.json()["code"] == "unstorable_text"
    response.json()["message"].encode("utf-8")


@pytest.fixture
def database_refuses_poison(db: None) -> Iterator[None]:
    """The database itself refuses events of one type, as it would something nobody foresaw:
    a trigger, so that the app's own code runs unchanged."""
    with _refusing(errcode="22000"):  # data_exception, on PostgreSQL
        yield


@contextmanager
def _refusing(*, errcode: str) -> Iterator[None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.event_type = '{POISON}' THEN "
                f"RAISE EXCEPTION 'refused' USING ERRCODE = '{errcode}'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON calls_callevent "
                "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
            )
        else:  # SQLite's RAISE is always a constraint failure
            cursor.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON calls_callevent "
                f"WHEN NEW.event_type = '{POISON}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER IF EXISTS refuse_poison ON calls_callevent")
                cursor.execute("DROP FUNCTION IF EXISTS refuse_poison()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS refuse_poison")


def test_a_batch_the_database_refuses_is_stored_one_by_one_refusing_only_the_culprit(
    calls: tuple[Call, Call], database_refuses_poison: None
) -> None:
    preview, ga = calls
    poison = {**cloud_event("CallConnected", "ga-9"), "type": POISON}
    outcomes = store_callbacks(
        [
            deliver(preview, [state_event("Established")]),
            deliver(ga, [cloud_event("CallConnected", "ga-1"), poison]),
            deliver(ga, [cloud_event("CallDisconnected", "ga-2")]),
            deliver(preview, b"not json"),
        ]
    )
    assert outcomes[0] == 1 and outcomes[2] == 1
    assert (outcomes[1].code, outcomes[1].status_code) == ("unstorable", 422)  # type: ignore[union-attr]
    assert getattr(outcomes[3], "code", None) == "not_json"
    # The culprit's callback is refused whole: its good event is not half-stored.
    stored = sorted(CallEvent.objects.values_list("event_type", flat=True))
    assert stored == [
        "Microsoft.Communication.CallDisconnected",
        "Microsoft.Communication.CallLegStateChanged",
    ]


# The view verifies the dialect in force: these post the preview's unsigned envelopes.
@pytest.mark.dialect("preview")
def test_the_callback_view_answers_the_culprit_422_not_503(
    calls: tuple[Call, Call], database_refuses_poison: None
) -> None:
    preview, _ = calls
    response = post(preview, [{**state_event("Established"), "eventType": POISON}])
    assert (response.status_code, response.json()["code"]) == (422, "unstorable")
    assert response.json()["message"]


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="SQLite's triggers refuse as constraints only"
)
def test_an_operational_refusal_of_one_callback_is_its_503_alone(
    calls: tuple[Call, Call],
) -> None:
    """Refused with an error that may be passing (PostgreSQL's program_limit_exceeded is an
    OperationalError) on a connection that still works: that callback is answered 503 to be
    delivered again, and only that one."""
    preview, ga = calls
    with _refusing(errcode="54000"):
        outcomes = store_callbacks(
            [
                deliver(ga, [{**cloud_event("CallConnected", "ga-9"), "type": POISON}]),
                deliver(preview, [state_event("Established")]),
            ]
        )
    assert (getattr(outcomes[0], "code", None), outcomes[1]) == ("not_stored", 1)


def _calls_committed() -> tuple[Call, Call]:
    return (
        CallFactory.create(provider_call_id=LEG, state=CallState.ESTABLISHING),
        CallFactory.create(provider_call_id=CALL, state=CallState.ESTABLISHING),
    )


def _store_then_disconnect(deliveries: list[Delivery]) -> list[Any]:
    # The pipeline's thread keeps its connection between batches; the test database can only
    # be dropped once it is closed.
    try:
        return store_callbacks(deliveries)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_through_the_pipeline_one_group_commit_answers_each_callback_its_own() -> None:
    """As under daphne: three requests' callbacks wait for one batch, one of them hostile;
    the others are stored and answered, the hostile one alone is refused (no 503s)."""
    preview, ga = await database_sync_to_async(_calls_committed)()
    deliveries = [
        deliver(preview, [state_event("Established")]),
        deliver(ga, [HOSTILE["nul"](cloud_event("CallConnected", "ga-1"))]),
        deliver(ga, [cloud_event("CallConnected", "ga-2")]),
    ]
    loop = asyncio.get_running_loop()
    pipeline = CallbackPipeline(loop, store=_store_then_disconnect, apply=None)
    with ThreadPoolExecutor(len(deliveries)) as requests:
        answers = [loop.run_in_executor(requests, pipeline.store, d) for d in deliveries]
        while pipeline.waiting < len(deliveries):  # all in before the first batch is taken
            await asyncio.sleep(0.005)
        running = asyncio.create_task(pipeline.run(), context=contextvars.Context())
        try:
            outcomes = await asyncio.wait_for(asyncio.gather(*answers), 30)
        finally:
            running.cancel()
    assert outcomes[0] == 1 and outcomes[2] == 1
    assert getattr(outcomes[1], "status_code", None) == 400
    assert await database_sync_to_async(CallEvent.objects.count)() == 2
