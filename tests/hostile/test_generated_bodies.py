"""Generated bodies (hypothesis) at every route of the URL inventory and every method it
answers: arbitrary JSON values, bytes and form data. No answer is a 5xx, and an error from the
API, the callback endpoint or the emulator has the JSON error shape. Derandomized: the same
examples on every run."""

import json
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from starlette.testclient import TestClient

from tests.hostile.bodies import describe, is_error_shape
from tests.hostile.routes import Target, make_world, targets
from tests.provider_fake import FakeProvider

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
# Bodies as sent: JSON (often an object with a field the endpoints read), raw bytes, a form.
FIELD_NAMES = st.sampled_from(["title", "targets", "prompt", "name", "mode", "quorum", "events"])
BODIES = st.one_of(
    st.builds(lambda value: (json.dumps(value).encode(), "application/json"), JSON_VALUES),
    st.builds(
        lambda fields: (json.dumps(fields).encode(), "application/json"),
        st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=4),
    ),
    st.builds(lambda raw: (raw, "application/json"), st.binary(max_size=64)),
    st.builds(
        lambda form: (urlencode(form).encode(), "application/x-www-form-urlencoded"),
        st.dictionaries(FIELD_NAMES, st.text(max_size=20), max_size=4),
    ),
)
HYPOTHESIS = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def world(db: None, provider: FakeProvider) -> dict[str, object]:
    return make_world()


@pytest.fixture
def clients(world: dict[str, object], admin_user: User) -> tuple[Client, Client]:
    token = Token.objects.create(user=admin_user)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}", raise_request_exception=False)
    dashboard = Client(raise_request_exception=False)
    dashboard.force_login(admin_user)
    return api, dashboard


def _all_targets(world: dict[str, object]) -> list[Target]:
    # Deletions left out: the first would leave every later example nothing to act on.
    found = targets(world) + targets(world, emulator=True)
    return [t for t in found if t.method != "DELETE"]


@pytest.mark.django_db
@HYPOTHESIS
@given(data=st.data())
def test_no_route_answers_a_generated_body_with_a_server_error(
    data: st.DataObject,
    world: dict[str, object],
    clients: tuple[Client, Client],
    emulator: TestClient,
) -> None:
    target = data.draw(st.sampled_from(_all_targets(world)), label="target")
    body, content_type = data.draw(BODIES, label="body")
    if target.route.interface == "emulator":
        answer = emulator.request(
            target.method, target.url, content=body, headers={"content-type": content_type}
        )
        status, ctype, content = (
            answer.status_code,
            answer.headers.get("content-type", ""),
            answer.content,
        )
        if status >= 400:
            error = json.loads(content)
            error = error.get("error", error) if isinstance(error, dict) else error
            assert isinstance(error, dict) and {"code", "message"} <= set(error), content[:200]
    else:
        client = clients[0] if target.is_api else clients[1]
        response = client.generic(target.method, target.url, body, content_type=content_type)
        content = (
            b"".join(response.streaming_content)  # type: ignore[attr-defined]  # sync views only
            if response.streaming
            else response.content
        )
        status, ctype = response.status_code, response.get("Content-Type", "")
        if target.is_api and status >= 400:
            assert is_error_shape(ctype, content), describe(status, ctype, content)
    assert status < 500, f"{target.method} {target.url}: {describe(status, ctype, content)}"
