"""What every WebSocket of the app does with frames it cannot read, and with unknown paths.

Channels' JSON consumer raised on a binary frame, an empty one or text that is not JSON: the
consumer died, the server closed the socket with 1011 and logged a traceback for each frame a
client chose to send. Here:
- a binary frame, text that is not JSON the app reads (config.json_input), or text longer
  than MAX_FRAME_CHARS is answered with an error frame, `{"type": "error", "code",
  "message"}`, and the socket stays open. Not a 1003 (unsupported data) close for the
  binary frame: daphne's WebSocket library (autobahn) lets a server close only with 1000 or
  3000-4999, and raises for any other code, which ends the socket with 1011 and a traceback;
- a path no route matches is refused at the handshake (HTTP 403, as for a user who may not
  see the incident), where Channels' router raised "No route found" (a 500 and a traceback);
- a frame sent while the client is leaving (a broadcast that crossed its close) is dropped:
  autobahn raises Disconnected for it, which killed the consumer with a traceback, and a
  dashboard that comes back resyncs anyway.
"""

import logging
from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent
from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

from config.json_input import JsonInputError, load_json

# Far above any frame the dashboard sends (a resync is 20 characters).
MAX_FRAME_CHARS = 64 * 1024

logger = logging.getLogger(__name__)


class JsonFrameConsumer(AsyncJsonWebsocketConsumer):
    """AsyncJsonWebsocketConsumer that answers unreadable frames instead of dying on them."""

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if text_data is None:
            await self.send_error("binary_frame", "This socket reads JSON in text frames only.")
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.send_error("too_large", f"Frames hold at most {MAX_FRAME_CHARS} characters.")
            return
        try:
            content = load_json(text_data)
        except JsonInputError as exc:
            await self.send_error(exc.code, exc.message)
            return
        await self.receive_json(content, **kwargs)

    async def __call__(
        self, scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        async def send_unless_gone(message: ASGISendEvent) -> None:
            try:
                await send(message)
            except (Disconnected, ConnectionError) as exc:
                logger.debug("Frame to %s dropped, its client has left: %s", scope["path"], exc)

        await super().__call__(scope, receive, send_unless_gone)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})


class NoSuchSocket(AsyncWebsocketConsumer):
    """The last route: refuses the handshake (HTTP 403) for any path no other route matches."""

    async def connect(self) -> None:
        await self.close()
