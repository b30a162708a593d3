"""Simulated live dashboards: WebSocket clients that timestamp every frame they receive.

Frames are kept raw with their arrival time and parsed after the run, so the client spends as
little CPU as possible while it is measuring.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin


@dataclass
class Dashboard:
    """One connected incident page."""

    connection: ClientConnection
    snapshot_seq: int  # the seq of the snapshot sent on connect
    frames: list[tuple[float, str]] = field(default_factory=list)  # (perf_counter, raw JSON)

    async def read(self) -> None:
        async for message in self.connection:
            self.frames.append((time.perf_counter(), str(message)))

    def messages(self) -> list[tuple[float, dict[str, Any]]]:
        """Every message, with each event of an "events" frame as its own "event" item."""
        items: list[tuple[float, dict[str, Any]]] = []
        for at, raw in self.frames:
            message = json.loads(raw)
            if message["type"] == "events":
                items += [(at, {"type": "event", **event}) for event in message["events"]]
            else:
                items.append((at, message))
        return items


async def open_dashboards(
    base_url: str, incident_id: int, cookie: str, count: int
) -> list[Dashboard]:
    """Connect `count` signed-in dashboards; each has received its snapshot on return."""
    url = base_url.replace("http://", "ws://") + f"/ws/incidents/{incident_id}/"
    dashboards = []
    for _ in range(count):  # one at a time: a connect storm is not what this measures
        connection = await _connect(url, base_url, {"Cookie": cookie})
        snapshot = json.loads(await asyncio.wait_for(connection.recv(), timeout=10))
        if snapshot.get("type") != "snapshot":
            raise RuntimeError(f"Expected a snapshot first, got {snapshot.get('type')!r}.")
        dashboards.append(Dashboard(connection, int(snapshot["seq"])))
    return dashboards


async def open_floor_sockets(base_url: str, path: str, count: int) -> list[Dashboard]:
    """Connect `count` sockets to the floor relay (bench.relay), which sends no snapshot."""
    url = base_url.replace("http://", "ws://") + path
    return [Dashboard(await _connect(url, base_url, {}), snapshot_seq=0) for _ in range(count)]


async def _connect(url: str, origin: str, headers: dict[str, str]) -> ClientConnection:
    return await connect(
        url,
        origin=Origin(origin),
        additional_headers=headers,
        compression=None,
        max_size=None,
        open_timeout=10,
    )


async def close_dashboards(dashboards: list[Dashboard]) -> None:
    await asyncio.gather(*(d.connection.close() for d in dashboards))
