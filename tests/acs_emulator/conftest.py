"""Fixtures: the emulator and a callback receiver, both served over real HTTP on 127.0.0.1."""

from collections.abc import Iterator
from typing import Protocol

import httpx
import pytest

from acs_emulator import EmulatorApp, EmulatorConfig, build_app
from tests.acs_emulator.scenarios import ACCESS_KEY, TIME_SCALE
from tests.acs_emulator.servers import Receiver, ServerThread, mount_under
from tests.acs_emulator.signing import HmacAuth


class StartEmulator(Protocol):
    def __call__(self, config: EmulatorConfig, prefix: str | None = None) -> str: ...


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ServerThread(receiver.app()).start()
    receiver.url = server.url
    yield receiver
    server.stop()


@pytest.fixture(scope="session")
def emulator_app() -> EmulatorApp:
    return build_app(EmulatorConfig(access_key=ACCESS_KEY, time_scale=TIME_SCALE))


@pytest.fixture(scope="session")
def emulator_url(emulator_app: EmulatorApp) -> Iterator[str]:
    server = ServerThread(emulator_app, on_stop=emulator_app.aclose).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def control_client(emulator_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def acs_client(emulator_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_url, auth=HmacAuth(ACCESS_KEY), timeout=10) as client:
        yield client


@pytest.fixture
def control(control_client: httpx.Client, receiver: Receiver) -> httpx.Client:
    """Unsigned client for /emulator/; every test starts from a reset emulator and receiver."""
    control_client.post("/emulator/reset").raise_for_status()
    receiver.clear()
    return control_client


@pytest.fixture
def acs(acs_client: httpx.Client, control: httpx.Client) -> httpx.Client:
    """A client that signs every request with the emulator's access key."""
    return acs_client


@pytest.fixture
def start_emulator(receiver: Receiver) -> Iterator[StartEmulator]:
    """Start another emulator with its own config, optionally mounted under a path prefix;
    returns its base URL (prefix included)."""
    servers: list[ServerThread] = []

    def start(config: EmulatorConfig, prefix: str | None = None) -> str:
        app = build_app(config)
        served = mount_under(prefix, app) if prefix else app
        servers.append(ServerThread(served, on_stop=app.aclose).start())
        return servers[-1].url + (prefix or "")

    yield start
    for server in servers:
        server.stop()
