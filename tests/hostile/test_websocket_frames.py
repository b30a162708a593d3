"""Hostile WebSocket handshakes and frames, through the real ASGI application (Channels'
WebsocketCommunicator): an unknown path is refused at the handshake, an unreadable frame gets
an error frame, never a dead consumer (1011) and a traceback."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from config.websockets import MAX_FRAME_CHARS
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def application() -> Any:
    # Imported here: AllowedHostsOriginValidator reads ALLOWED_HOSTS at import time.
    from config.asgi import application

    return application


async def _headers(user: User) -> list[tuple[bytes, bytes]]:
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"origin", b"http://testserver"), (b"cookie", cookie.encode())]


async def _socket_paths() -> list[str]:
    incident = await sync_to_async(IncidentFactory.create)()
    return ["/ws/incidents/", f"/ws/incidents/{incident.pk}/"]


@pytest.mark.parametrize(
    "path",
    ["/ws/nowhere/", "/ws/incidents/abc/", "/ws/incidents/1/extra/", "/", "/api/incidents/"],
)
async def test_an_unknown_path_is_refused_at_the_handshake(
    application: Any, viewer: User, path: str
) -> None:
    communicator = WebsocketCommunicator(application, path, headers=await _headers(viewer))
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()


async def test_a_huge_incident_id_is_refused_at_the_handshake(
    application: Any, viewer: User
) -> None:
    path = f"/ws/incidents/{10**40}/"
    communicator = WebsocketCommunicator(application, path, headers=await _headers(viewer))
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()


BAD_TEXT = [
    ("{not json", "not_json"),
    ("NaN", "not_json"),
    ("[" * 10_000, "too_deep"),
    ('"\\ud800"', None),  # JSON, but not an object with a type
    ("[1, 2]", None),
    ('{"type": 5}', None),
    ('{"type": "no-such-type"}', None),
    ('{"type": ["resync"]}', None),
    ("x" * (MAX_FRAME_CHARS + 1), "too_large"),
]


async def test_every_socket_answers_unreadable_text_with_an_error_frame(
    application: Any, viewer: User
) -> None:
    for path in await _socket_paths():
        communicator = WebsocketCommunicator(application, path, headers=await _headers(viewer))
        connected, _ = await communicator.connect()
        assert connected, path
        if path != "/ws/incidents/":
            assert (await communicator.receive_json_from())["type"] == "snapshot"
        for text, code in BAD_TEXT:
            await communicator.send_to(text_data=text)
            answer = await communicator.receive_json_from()
            assert answer["type"] == "error", (path, text[:20])
            assert answer["code"] == (code or "unknown_message_type"), (path, text[:20])
        # ... and the socket still works.
        if path != "/ws/incidents/":
            await communicator.send_json_to({"type": "resync"})
            assert (await communicator.receive_json_from())["type"] == "snapshot"
        await communicator.disconnect()


async def test_a_binary_frame_gets_an_error_frame(application: Any, viewer: User) -> None:
    for path in await _socket_paths():
        communicator = WebsocketCommunicator(application, path, headers=await _headers(viewer))
        connected, _ = await communicator.connect()
        assert connected, path
        if path != "/ws/incidents/":
            await communicator.receive_json_from()
        await communicator.send_to(bytes_data=b"\x00\xff binary")
        answer = await communicator.receive_json_from()
        assert (answer["type"], answer["code"]) == ("error", "binary_frame"), path
        await communicator.disconnect()
