import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client, override_settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import assign_role
from calls.client import CallAutomationClient
from calls.dialects import PREVIEW_VERSION
from calls.provider import install_client
from calls.retry_policy import NO_RETRY
from incidents import events as incident_events
from tests.factories import UserFactory

pytest_plugins = ["tests.live_server"]

# CI machines are shared and noisy: time limits would fail tests for the machine's load, not
# for a bug. The properties themselves are unchanged.
hypothesis_settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("shared-machine")


def _user_with_role(role: Role) -> User:
    user: User = UserFactory.create(username=role.value.rstrip("s"))
    return assign_role(user=user, role=role)


@pytest.fixture
def viewer(db: None) -> User:
    return _user_with_role(Role.VIEWER)


@pytest.fixture
def operator(db: None) -> User:
    return _user_with_role(Role.OPERATOR)


@pytest.fixture
def admin_user(db: None) -> User:
    return _user_with_role(Role.ADMIN)


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


# Tests that take the dialect from the environment (ACS_API_VERSION, as CI runs the suite under
# each): they run the app in servers of its own and speak to it over real sockets.
END_TO_END = ("tests/integration/", "tests/browser/")


@pytest.fixture(autouse=True)
def preview_dialect_in_unit_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Unit tests speak the 2021 preview, explicitly, whatever the default or the environment:
    FakeProvider answers with the preview's responses and their callbacks are the preview's
    Event Grid envelopes. They test the dialect-neutral services through the preview's wire;
    the GA wire has tests of its own, which set ACS_API_VERSION to a GA version themselves."""
    path = request.node.path.as_posix()
    if any(f"/{part}" in path for part in END_TO_END):
        yield
        return
    with override_settings(ACS_API_VERSION=PREVIEW_VERSION):
        yield


class FakeProvider:
    """The 2021 preview at the transport level: records requests, answers from `responses`
    (fake_transport installs the preview's client; preview_dialect_in_unit_tests pins it)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.responses: list[httpx.Response] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responses:
            return self.responses.pop(0)
        if request.url.path.endswith("/calling/calls"):
            return httpx.Response(200, json={"callLegId": f"leg-{len(self.requests)}"})
        if request.url.path.endswith(("/PlayAudio", "/CancelMediaProcessing")):
            body = {"id": "op", "status": "notStarted", "operationContext": "x"}
            return httpx.Response(202, json=body)
        return httpx.Response(202)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


@contextmanager
def fake_transport(handle: Callable[[httpx.Request], httpx.Response]) -> Iterator[None]:
    """Inside the block every provider request goes to `handle` (no retries)."""
    install_client(
        CallAutomationClient(
            "endpoint=https://acs.test/;accesskey=cHc=",
            transport=httpx.MockTransport(handle),
            retry=NO_RETRY,
        )
    )
    try:
        yield
    finally:
        install_client(None)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    with fake_transport(fake.handle):
        yield fake


class Listener:
    """A channel in an incident's group on the real (in-memory) channel layer."""

    def __init__(self, incident_id: int) -> None:
        layer = get_channel_layer()
        assert layer is not None
        self.layer = layer
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(
            incident_events.incident_group(incident_id), self.channel
        )

    def messages(self) -> list[dict[str, Any]]:
        """Every channel-layer message so far, round-tripped through JSON as Redis would."""

        async def receive_all() -> list[dict[str, Any]]:
            messages: list[dict[str, Any]] = []
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.05)
                except TimeoutError:
                    return messages
                messages.append(json.loads(json.dumps(message)))

        return async_to_sync(receive_all)()

    def drain(self) -> list[dict[str, Any]]:
        """Every event sent so far (one message may carry several)."""
        return [event for message in self.messages() for event in message["events"]]


@pytest.fixture
def listen() -> Callable[[int], Listener]:
    return Listener


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    """Uploaded and seeded audio goes to a temporary folder, never the working tree."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """API throttles count in the cache: every test starts with a clean slate."""
    cache.clear()


def token_client(user: User | None) -> APIClient:
    """An API client that authenticates like a script: a token header, no session."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
