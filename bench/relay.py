"""The bench's ASGI application: the app, plus a bare Channels relay as the framework's floor.

    daphne bench.relay:application

Only bench.fanout's daphne serves this module; the app's own URLconf and config.asgi never
mount the relay. The relay has no Django request handling, no database and no DRF: a POST to
FLOOR_HTTP_PATH makes two `group_send`s to FLOOR_GROUP, and every WebSocket on FLOOR_WS_PATH
is a minimal consumer in that group that relays each message as one frame. Measured at the
same rate from the same load generator as the app's callbacks, it is the latency that no
app on daphne and the in-memory channel layer can beat on this machine at this moment.
"""

import json
import time
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from bench.floor import FLOOR_HTTP_PATH, FLOOR_WS_PATH
from config.asgi import application as app_application

FLOOR_GROUP = "bench.floor"
FLOOR_EVENT = "floor.event"
# About the size of the app's participant payload, so a frame costs about as much to send.
_PADDING = "x" * 300


class FloorConsumer(AsyncJsonWebsocketConsumer):
    """Joins FLOOR_GROUP and sends every message it hears as one frame, as the app's does."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(FLOOR_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(FLOOR_GROUP, self.channel_name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # No database: skip Channels' per-message connection check, as IncidentConsumer does.
        if message["type"] == FLOOR_EVENT:
            message["events"][0]["data"]["at"].append(time.perf_counter())
            await self.send_json({"type": "events", "events": message["events"]})
        else:
            await super().dispatch(message)


async def relay(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """POST {"i": N, "sends": S}: broadcast S messages (events S*N ... S*N+S-1, one each) to the
    floor's sockets, then answer 200. The issue's relay made two sends per callback."""
    received = time.perf_counter()
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    request = json.loads(body)
    index, sends = int(request["i"]), int(request.get("sends", 2))
    layer = get_channel_layer()
    assert layer is not None  # noqa: S101 (settings always configure one)
    for part in range(sends):
        # When the POST came and when this send began; the consumer adds when it got it.
        # perf_counter is the machine's monotonic clock, so the client can compare.
        at = [received, time.perf_counter()]
        data = {"at": at, "padding": _PADDING}
        event = {"kind": "floor", "seq": sends * index + part, "data": data}
        await layer.group_send(FLOOR_GROUP, {"type": FLOOR_EVENT, "events": [event]})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


_floor_socket: Any = FloorConsumer.as_asgi()  # the stubs' scope types; daphne's is a dict


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope.get("path")
    if scope["type"] == "http" and path == FLOOR_HTTP_PATH:
        await relay(scope, receive, send)
    elif scope["type"] == "websocket" and path == FLOOR_WS_PATH:
        await _floor_socket(scope, receive, send)
    else:
        await app_application(scope, receive, send)
