"""The embedded emulator alone, signed as the app signs, for the hostile-body tests."""

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from calls.provider import emulator_access_key
from config.body_limits import with_body_limit
from config.emulator_mount import with_embedded_emulator
from tests.acs_emulator.signing import HmacAuth


async def _no_django(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError(f"{scope['path']} reached Django, not the emulator")


@pytest.fixture
def emulator() -> Iterator[TestClient]:
    app = with_body_limit(with_embedded_emulator(_no_django))
    # Not entered: the emulator needs no lifespan (acs_emulator.app), and Django is not behind it.
    client = TestClient(app, raise_server_exceptions=False)
    client.auth = HmacAuth(emulator_access_key())
    yield client
    client.close()
