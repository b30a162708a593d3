"""schemathesis's stateful run over the API: sequences of calls that follow the schema's
OpenAPI links (config.api_schema.LINKS), such as declaring an incident, reading it, its timeline,
resolving or cancelling it; and a contact created, read, changed, deleted. Every answer must
be what the schema says, and none a server error. Derandomized, and a few short sequences."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from rest_framework.authtoken.models import Token
from schemathesis import checks
from schemathesis.openapi import from_wsgi

from tests.conftest import token_client
from tests.factories import AudioPromptFactory
from tests.provider_fake import FakeProvider
from tests.test_api_schema import RESPONSE_CHECKS, wsgi_in_test_transaction

__all__ = ["wsgi_in_test_transaction"]  # the fixture, used by name below

# As the per-operation run's, but ignored_auth: that check reads the token set below as the
# generated one, and the per-operation run covers authentication already.
CHECKS = [check for check in RESPONSE_CHECKS if check is not checks.ignored_auth]
schema = from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def without_local_constants(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis mixes into its draws constants it finds in the project's modules loaded so
    far (and caches them), so a derandomized run's sequences still depended on which tests ran
    before it, and whether they reached an object by its id with them. Private hooks: patched
    with raising=True, so a hypothesis that renames them fails here loudly."""
    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    monkeypatch.setattr(providers, "CONSTANTS_CACHE", type(providers.CONSTANTS_CACHE)(1024))


@pytest.mark.django_db
def test_the_schema_links_declaring_to_reading_and_resolving() -> None:
    served = token_client(None).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    links = served["paths"]["/api/incidents/"]["post"]["responses"]["201"]["links"]
    targets = {link["operationId"] for link in links.values()}
    assert {"incidents_retrieve", "incidents_resolve_create"} <= targets, targets


@pytest.mark.django_db
def test_linked_calls_answer_as_the_schema_says(
    admin_user: User,
    provider: FakeProvider,
    wsgi_in_test_transaction: None,
    without_local_constants: None,
) -> None:
    AudioPromptFactory.create(is_default=True)
    token = Token.objects.create(user=admin_user).key

    answered: set[tuple[str, str, int]] = set()

    class ApiStateMachine(schema.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response: Any, case: Any) -> None:
            answered.add((case.method, case.path, response.status_code))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    ApiStateMachine.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Sequences reached objects by their ids, not only lists.
    assert any("{id}" in path and status == 200 for _, path, status in answered), sorted(answered)
