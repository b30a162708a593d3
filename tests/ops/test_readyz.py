"""/healthz says the process is up; /readyz checks the database, the channel layer and the
task queue, and answers 503 naming what failed (tests/ops/test_readyz_live.py stops real
servers)."""

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings

CHECKS = {"database", "channel_layer", "task_queue"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on leaving: nobody listens there


def test_healthz_answers_without_touching_anything() -> None:
    response = Client().get("/healthz")  # no database access allowed in this test
    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.django_db
def test_ready_when_everything_answers() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {name: {"ok": True} for name in CHECKS}


@pytest.mark.django_db
def test_readyz_needs_no_sign_in_and_refuses_post() -> None:
    assert Client().post("/readyz").status_code == 405


@pytest.mark.django_db
def test_not_ready_when_the_channel_layer_is_unreachable() -> None:
    layers = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port()}/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["message"] == "Not ready: channel_layer failed."
    assert body["checks"]["channel_layer"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == body["checks"]["task_queue"] == {"ok": True}


@pytest.mark.django_db
def test_a_check_that_does_not_answer_in_time_fails() -> None:
    layers = {"default": {"BACKEND": "tests.ops.layers.SilentLayer"}}
    with override_settings(CHANNEL_LAYERS=layers, READYZ_TIMEOUT_SECONDS=0.2):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == {
        "ok": False,
        "error": "no answer within 0.2 s",
    }


@pytest.fixture
def unopenable_database(tmp_path: Any) -> Iterator[None]:
    """The database's file can no longer be opened by a new connection (each check opens
    its own, on a thread of its own)."""
    if connections["default"].vendor != "sqlite":
        # The threads' PostgreSQL connections do not follow a changed setting here;
        # tests/ops/test_readyz_live.py stops a real PostgreSQL server instead.
        pytest.skip("an unopenable database file is SQLite's")
    database = connections.settings["default"]
    saved = database["NAME"]
    database["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    try:
        yield
    finally:
        database["NAME"] = saved


@pytest.mark.django_db
def test_not_ready_when_the_database_is_unreachable(unopenable_database: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    # The task queue is a table of the same database: it fails with it.
    assert body["message"] == "Not ready: database, task_queue failed."
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["channel_layer"] == {"ok": True}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_not_ready_when_the_task_table_is_missing() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("ALTER TABLE django_tasks_database_dbtaskresult RENAME TO gone")
    try:
        response = Client().get("/readyz")
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("ALTER TABLE gone RENAME TO django_tasks_database_dbtaskresult")
    assert response.status_code == 503
    body = response.json()
    assert body["message"] == "Not ready: task_queue failed."
    # The database's own word for a missing table.
    missing = (
        "OperationalError" if connections["default"].vendor == "sqlite" else "ProgrammingError"
    )
    assert body["checks"]["task_queue"] == {"ok": False, "error": missing}


@pytest.mark.django_db
def test_probes_and_metrics_are_not_redirected_to_https() -> None:
    """Probes and scrapers speak plain HTTP to the process itself, behind the TLS proxy."""
    with override_settings(SECURE_SSL_REDIRECT=True):
        client = Client()
        assert client.get("/accounts/login/").status_code == 301
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 200
