"""Hostile bodies at every API endpoint and the provider's callback endpoint, through Django's
test client: never a 5xx, every error in the JSON error shape, and the status each kind of
body is promised (README, "Reliability": 400, 413 too large, 415 not a media type read)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.hostile.bodies import Hostile, describe, hostile_bodies, is_error_shape
from tests.hostile.routes import make_world, targets
from tests.provider_fake import FakeProvider

BODIES = hostile_bodies()


def _admin_client(admin_user: User) -> Client:
    token = Token.objects.create(user=admin_user)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}", raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", BODIES, ids=[b.name for b in BODIES])
def test_no_api_endpoint_answers_a_hostile_body_with_a_server_error(
    hostile: Hostile, admin_user: User, provider: FakeProvider
) -> None:
    client = _admin_client(admin_user)
    world = make_world()
    failures = []
    # Deletions last: the other requests should find what they act on.
    for target in sorted(targets(world), key=lambda t: t.method == "DELETE"):
        if not target.is_api:
            continue
        response = client.generic(
            target.method, target.url, hostile.body, content_type=hostile.content_type
        )
        status, ctype = response.status_code, response.get("Content-Type", "")
        if status >= 500 or (status >= 400 and not is_error_shape(ctype, response.content)):
            failures.append(
                f"{target.method} {target.url}: {describe(status, ctype, response.content)}"
            )
    assert not failures, "\n".join(failures)


# Endpoints that read a JSON object from the body: each kind of hostile body gets its status.
READERS = [
    pytest.param("POST", "/api/incidents/", False, id="declare"),
    pytest.param("PATCH", "/api/contacts/{contact}/", False, id="contact"),
    pytest.param("POST", "/api/calls/{call}/participants/", False, id="invite"),
    # The 2021 preview's: its callbacks carry no token, so the body is what is read first.
    pytest.param(
        "POST",
        "/calls/{call}/events/{secret}/",
        True,
        id="callback",
        marks=pytest.mark.dialect("preview"),
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "raw"), READERS)
def test_a_body_reader_answers_each_hostile_body_with_its_status(
    method: str, path: str, raw: bool, admin_user: User, provider: FakeProvider
) -> None:
    client = _admin_client(admin_user)
    world = make_world()
    url = path.format(**world)
    failures = []
    for hostile in BODIES:
        expected = hostile.expected_from(reads_raw_body=raw)
        response = client.generic(method, url, hostile.body, content_type=hostile.content_type)
        status, ctype = response.status_code, response.get("Content-Type", "")
        wrong = status >= 500 if expected is None else status != expected
        if wrong or (status >= 400 and not is_error_shape(ctype, response.content)):
            failures.append(
                f"{hostile.name}: wanted {expected}, {describe(status, ctype, response.content)}"
            )
    assert not failures, "\n".join(failures)
