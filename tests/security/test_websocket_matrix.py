"""Every WebSocket route × role: the handshake through config.asgi's application is accepted or
refused as tests/security/matrix.py says; an address no route serves is refused."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.provider_fake import FakeProvider
from tests.security.matrix import ACCEPTED, REFUSED, expected_for, path_for
from tests.security.world import ROLES, World, build_world
from tests.url_inventory import websocket_routes

# serialized_rollback keeps the role groups the data migration made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROUTES = {route.key: route for route in websocket_routes()}


@pytest.fixture
def application() -> Any:
    # Imported here: AllowedHostsOriginValidator reads ALLOWED_HOSTS at import time.
    from config.asgi import application

    return application


async def _handshake(application: Any, path: str, role: str, world: World) -> str:
    headers = [(b"origin", b"http://testserver")]
    user = world.users[role]
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    try:
        connected, _ = await communicator.connect()
        await communicator.disconnect()
    except ValueError:  # URLRouter: no route for the path (daphne answers the handshake 403)
        return REFUSED
    return ACCEPTED if connected else REFUSED


@pytest.mark.parametrize("key", list(ROUTES))
async def test_websocket_route_answers_each_role_as_the_matrix_says(
    key: str, application: Any, provider: FakeProvider
) -> None:
    world = await sync_to_async(build_world)()
    route = ROUTES[key]
    expect = expected_for(route)
    assert expect.safe is not None, f"{key}: EXPECTED gives no handshake class"
    path = path_for(route, world.objects)
    answers = [await _handshake(application, path, role, world) for role in ROLES]
    assert answers == list(expect.safe), path


async def test_an_address_no_route_serves_is_refused(application: Any) -> None:
    communicator = WebsocketCommunicator(
        application, "/ws/nothing-here/", headers=[(b"origin", b"http://testserver")]
    )
    connected, _ = await communicator.connect()  # config.websockets.NoSuchSocket: daphne's 403
    assert connected is False
    await communicator.disconnect()
