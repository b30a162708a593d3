"""A frame the server sends while its client is leaving is dropped, not a dead consumer and a
traceback: daphne's WebSocket library raises Disconnected for a send on a closing socket. The
consumer runs as the server runs it (its ASGI call), sending the error frame for a binary one."""

from typing import Any

import pytest
from autobahn.exception import Disconnected

from config.websockets import JsonFrameConsumer

# Channels closes the database connections around each message it dispatches.
pytestmark = pytest.mark.django_db

SCOPE: Any = {"type": "websocket", "path": "/ws/incidents/1/", "headers": []}
CLIENT: list[Any] = [
    {"type": "websocket.connect"},
    {"type": "websocket.receive", "bytes": b"\x00"},  # answered with an error frame
    {"type": "websocket.disconnect", "code": 1000},
]


async def _serve(failure: BaseException | None) -> list[dict[str, Any]]:
    """Run a consumer through CLIENT's messages; each frame it sends fails with `failure`
    (the accept goes through). Returns what was sent."""
    incoming = iter(CLIENT)
    sent: list[dict[str, Any]] = []

    async def receive() -> Any:
        return next(incoming)

    async def send(message: Any) -> None:
        if message["type"] == "websocket.send" and failure is not None:
            raise failure
        sent.append(message)

    await JsonFrameConsumer.as_asgi()(SCOPE, receive, send)
    return sent


async def test_a_frame_that_crossed_the_clients_close_is_dropped() -> None:
    sent = await _serve(Disconnected("Attempt to send on a closed protocol"))
    assert [message["type"] for message in sent] == ["websocket.accept"]


async def test_a_reset_connection_drops_the_frame_too() -> None:
    assert len(await _serve(ConnectionResetError())) == 1


async def test_frames_to_a_client_still_there_are_sent() -> None:
    accepted, error = await _serve(None)
    assert error["type"] == "websocket.send" and '"binary_frame"' in error["text"]


async def test_any_other_failure_is_not_hidden() -> None:
    with pytest.raises(ValueError):
        await _serve(ValueError("both bytes and text"))
