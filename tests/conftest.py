import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

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
from incidents import events as incident_events
from tests.dialects import dialect_version
from tests.factories import UserFactory
from tests.provider_callbacks import provider_keys
from tests.provider_fake import FakeProvider, fake_transport

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


@pytest.fixture(autouse=True)
def declared_dialect(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked `dialect("preview")` or `dialect("ga")` tests that dialect's wire on
    purpose and gets it whatever the environment; every other test runs on the ACS_API_VERSION
    the environment gives (CI runs the whole suite under each dialect)."""
    marker = request.node.get_closest_marker("dialect")
    if marker is None:
        yield
        return
    with override_settings(ACS_API_VERSION=dialect_version(*marker.args)):
        yield


# Tests that run the app in servers of its own, whose callbacks the emulator signs.
END_TO_END = ("tests/integration/", "tests/browser/")


@pytest.fixture(autouse=True)
def callback_keys(request: pytest.FixtureRequest, declared_dialect: None) -> Iterator[None]:
    """GA callbacks are checked against the tests' own signing key (tests.provider_callbacks
    signs them with it); the preview's are not signed, and the key goes unused."""
    path = request.node.path.as_posix()
    if any(f"/{part}" in path for part in END_TO_END):
        yield
        return
    with provider_keys():
        yield


@pytest.fixture
def provider(declared_dialect: None) -> Iterator[FakeProvider]:
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
