"""Hostile bodies at every route of the ACS emulator, signed so they reach the body's reader,
through the ASGI stack config.asgi serves it with (the body size limit, then the mounted
emulator): never a 5xx, and every error in the emulator's error shape: the 2021 preview's flat
`{"code", "message"}`, GA's the same wrapped in `{"error": ...}` (the product's own shapes)."""

import json
from typing import Any

import pytest
from django.conf import settings
from starlette.testclient import TestClient

from acs_emulator.config import GA_API_VERSIONS
from tests.hostile.bodies import ERROR_KEYS, Hostile, describe, hostile_bodies
from tests.hostile.routes import targets

BODIES = hostile_bodies()
GA_BASE = "/calling/callConnections"


def _is_emulator_error(response: Any) -> bool:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return False
    body = json.loads(response.content)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # GA's CommunicationErrorResponse
    return isinstance(body, dict) and set(body) >= ERROR_KEYS


def _url(url: str) -> str:
    prefix = settings.ACS_EMULATOR_PATH
    if url.startswith(prefix + GA_BASE):
        return f"{url}?api-version={GA_API_VERSIONS[-1]}"
    return url


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", BODIES, ids=[b.name for b in BODIES])
def test_no_emulator_route_answers_a_hostile_body_with_a_server_error(
    hostile: Hostile, emulator: TestClient
) -> None:
    failures = []
    for target in targets({}, emulator=True):
        response = emulator.request(
            target.method,
            _url(target.url),
            content=hostile.body,
            headers={"content-type": hostile.content_type},
        )
        status = response.status_code
        if status >= 500 or (status >= 400 and not _is_emulator_error(response)):
            ctype = response.headers.get("content-type", "")
            failures.append(
                f"{target.method} {target.url}: {describe(status, ctype, response.content)}"
            )
    assert not failures, "\n".join(failures)


CREATE_CALL = [
    ("preview", "/calling/calls"),
    ("ga", GA_BASE),
]


@pytest.mark.parametrize(("dialect", "path"), CREATE_CALL, ids=[d for d, _ in CREATE_CALL])
def test_create_call_answers_each_hostile_body_with_its_status(
    dialect: str, path: str, emulator: TestClient
) -> None:
    failures = []
    for hostile in BODIES:
        expected = hostile.expected_from(reads_raw_body=True)
        response = emulator.post(
            _url(settings.ACS_EMULATOR_PATH + path),
            content=hostile.body,
            headers={"content-type": hostile.content_type},
        )
        status = response.status_code
        if (status >= 500 if expected is None else status != expected) or not _is_emulator_error(
            response
        ):
            ctype = response.headers.get("content-type", "")
            failures.append(
                f"{hostile.name}: wanted {expected}, {describe(status, ctype, response.content)}"
            )
    assert not failures, "\n".join(failures)
