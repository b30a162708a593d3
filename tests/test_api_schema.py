"""The OpenAPI description: served, documented, and true to what the API answers.

schemathesis generates requests for every operation from /api/schema/, sends them through the
real WSGI stack as an operator with a token, and fails on a server error or on any response
(status code, headers, body) the schema does not describe. The provider is faked at the
transport, so nothing leaves the machine.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks
from schemathesis.openapi import from_wsgi

from calls.models import CallState, ParticipantState
from incidents.models import IncidentStatus
from tests.conftest import token_client
from tests.factories import (
    AudioPromptFactory,
    CallFactory,
    ContactFactory,
    ContactGroupFactory,
    ParticipantFactory,
)
from tests.provider_fake import FakeProvider


@pytest.mark.django_db
def test_schema_is_public_and_describes_auth_and_errors() -> None:
    response = token_client(None).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["tokenAuth"]["in"] == "header"
    assert set(schema["components"]["schemas"]["ErrorOutput"]["properties"]) == {
        "code",
        "message",
        "errors",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
            assert operation["security"], (method, path)
    assert "/calls/{call_id}/events/{secret}/" not in str(schema["paths"])  # the webhook


@pytest.mark.django_db
def test_docs_pages_render_from_our_own_static_files(viewer: User) -> None:
    for path in ("/api/docs/", "/api/redoc/"):
        response = token_client(None).get(path)
        assert response.status_code == 200
        assert b"/api/schema/" in response.content
        assert b"/static/drf_spectacular_sidecar/" in response.content
        assert b"cdn." not in response.content  # works where the internet does not
    # ... and those static files exist (the sidecar app is installed).
    for bundle in ("swagger-ui-dist/swagger-ui-bundle.js", "redoc/bundles/redoc.standalone.js"):
        assert finders.find(f"drf_spectacular_sidecar/{bundle}"), bundle


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Like Django's test client: requests must not close the connection holding the test's
    transaction (the WSGI handler does that at the end of every request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def operator_token(operator: User, wsgi_in_test_transaction: None) -> str:
    # Something real for the generated ids to land on now and then.
    call = CallFactory.create(incident__status=IncidentStatus.ACTIVE, state=CallState.ESTABLISHED)
    ParticipantFactory.create(call=call, state=ParticipantState.INVITED)
    ContactGroupFactory.create().members.add(ContactFactory.create())
    AudioPromptFactory.create(is_default=True)
    token: Token = Token.objects.create(user=operator)
    return str(token.key)


# What the API answers must match the schema. Left out on purpose: negative_data_rejection
# (DRF tolerates some off-schema input, e.g. a bad page_size falls back to the default) and
# positive_data_acceptance (schema-valid bodies still meet rules a JSON schema cannot state,
# such as a phone number being real).
RESPONSE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.ignored_auth,
]

# Loaded at collection: the schema view needs neither the database nor a user.
schema = from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=8,
    derandomize=True,  # the same examples on every run: CI must not fail by chance
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_api_answers_as_its_schema_says(
    case: Any, operator_token: str, provider: FakeProvider
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Token {operator_token}"}, checks=RESPONSE_CHECKS
    )
