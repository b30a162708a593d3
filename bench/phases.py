"""bench.fanout's load: the floor relay's and the app's callbacks, in alternating blocks.

Both sets of sockets stay connected for the whole run; only one path is loaded at a time.
Blocks run in the order F A A F F A A F ... (ABBA), so that a load from elsewhere on the
machine which grows or fades during the run weighs on both paths alike, and neither always
goes first. Between blocks the client waits until no frame has come for QUIET_SECONDS.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from bench.dashboards import Dashboard, close_dashboards, open_dashboards, open_floor_sockets
from bench.envelopes import JOINED_NUMBER, TOGGLED_NUMBER, event_time, roster_body
from bench.floor import FLOOR_HTTP_PATH, FLOOR_WS_PATH
from bench.server import Server

DRAIN_SECONDS = 5.0
QUIET_SECONDS = 0.3


@dataclass
class Posted:
    sent_at: float = 0.0
    answered_at: float = 0.0
    status: int = 0


@dataclass
class Path:
    """One path's callbacks over the run, and the server CPU and time its blocks took."""

    posts: list[Posted] = field(default_factory=list)
    server_cpu: float = 0.0
    wall: float = 0.0


@dataclass(frozen=True)
class Load:
    sockets: int
    rate: float  # callbacks per second
    count: int  # callbacks per path
    blocks: int  # blocks per path
    floor_sends: int  # group_sends per floor callback


@dataclass(frozen=True)
class Run:
    floor: Path
    floor_sockets: list[Dashboard]
    app: Path
    dashboards: list[Dashboard]
    by_event_time: dict[datetime, int]  # app event time -> index in app.posts
    final_seq: int
    client_cpu: float
    wall: float


def block_order(blocks: int) -> list[str]:
    """F A A F F A A F ...: `blocks` blocks of each path."""
    pairs = [("floor", "app") if i % 2 == 0 else ("app", "floor") for i in range(blocks)]
    return [name for pair in pairs for name in pair]


def block_sizes(count: int, blocks: int) -> list[int]:
    return [count // blocks + (1 if i < count % blocks else 0) for i in range(blocks)]


async def measure(server: Server, load: Load) -> Run:
    fixture = server.fixture
    dashboards = await open_dashboards(
        server.base_url, fixture.incident_id, fixture.session_cookie, load.sockets
    )
    floor_sockets = await open_floor_sockets(server.base_url, FLOOR_WS_PATH, load.sockets)
    every = dashboards + floor_sockets
    readers = [asyncio.create_task(d.read()) for d in every]
    floor_bodies = [json.dumps({"i": i, "sends": load.floor_sends}) for i in range(load.count)]
    app_bodies, by_event_time = _app_bodies(load.count)
    paths = {"floor": Path(), "app": Path()}
    urls = {"floor": server.base_url + FLOOR_HTTP_PATH, "app": server.callback_url}
    bodies = {"floor": floor_bodies, "app": app_bodies}
    sizes = block_sizes(load.count, load.blocks)
    blocks_done = {"floor": 0, "app": 0}
    cpu_client, start = time.process_time(), time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        for name in block_order(load.blocks):
            path, first = paths[name], len(paths[name].posts)
            block = bodies[name][first : first + sizes[blocks_done[name]]]
            cpu_server, began = server.cpu_seconds(), time.perf_counter()
            path.posts += await _post_open_loop(client, urls[name], block, load.rate)
            await _until_quiet(every)
            path.server_cpu += server.cpu_seconds() - cpu_server
            path.wall += time.perf_counter() - began
            blocks_done[name] += 1
    await _until_applied(server)
    final_seq = await _final_seq(dashboards[0])
    await _drain(dashboards, final_seq)
    client_cpu, wall = time.process_time() - cpu_client, time.perf_counter() - start
    await close_dashboards(every)
    await asyncio.gather(*readers)
    return Run(
        paths["floor"],
        floor_sockets,
        paths["app"],
        dashboards,
        by_event_time,
        final_seq,
        client_cpu,
        wall,
    )


def _app_bodies(count: int) -> tuple[list[str], dict[datetime, int]]:
    """Roster snapshots that alternately add and drop one person; event time i ms after base."""
    base = datetime.now(UTC).replace(microsecond=0)
    bodies, by_event_time = [], {}
    for index in range(count):
        at = base + timedelta(milliseconds=index)
        by_event_time[at] = index
        numbers = [JOINED_NUMBER, TOGGLED_NUMBER] if index % 2 == 0 else [JOINED_NUMBER]
        bodies.append(roster_body(numbers, event_time(at)))
    return bodies, by_event_time


async def _post_open_loop(
    client: httpx.AsyncClient, url: str, bodies: list[str], rate: float
) -> list[Posted]:
    """Open loop: body i leaves at start + i/rate whether or not earlier ones have answered."""
    posts = [Posted() for _ in bodies]
    tasks = []
    start = time.perf_counter()
    for index, body in enumerate(bodies):
        await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(_post(client, url, body, posts[index])))
    await asyncio.gather(*tasks)
    return posts


async def _post(client: httpx.AsyncClient, url: str, body: str, posted: Posted) -> None:
    posted.sent_at = time.perf_counter()
    response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
    posted.answered_at = time.perf_counter()
    posted.status = response.status_code


async def _until_quiet(sockets: list[Dashboard]) -> None:
    """Wait (bounded) until no frame has arrived for QUIET_SECONDS."""
    deadline = time.monotonic() + DRAIN_SECONDS
    frames = -1
    while time.monotonic() < deadline:
        now = sum(len(d.frames) for d in sockets)
        if now == frames:
            return
        frames = now
        await asyncio.sleep(QUIET_SECONDS)


async def _until_applied(server: Server) -> None:
    """A callback is answered once stored, and applied just after: wait for the last ones.
    (This starts a Django process on the client's core, so frames must have arrived first.)"""
    deadline = time.monotonic() + DRAIN_SECONDS
    while await asyncio.to_thread(server.pending_events) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def _final_seq(dashboard: Dashboard) -> int:
    """Every callback has been applied, so its events are committed: ask for a snapshot."""
    seen = len(dashboard.frames)
    await dashboard.connection.send(json.dumps({"type": "resync"}))
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        for _, raw in dashboard.frames[seen:]:
            message = json.loads(raw)
            if message["type"] == "snapshot":
                return int(message["seq"])
        seen = len(dashboard.frames)
        await asyncio.sleep(0.01)
    raise RuntimeError("No snapshot came back from the resync request.")


async def _drain(dashboards: list[Dashboard], final_seq: int) -> None:
    """Wait (bounded) until every dashboard has had a frame for every event."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        events = [sum(1 for _, m in d.messages() if m["type"] == "event") for d in dashboards]
        if all(n >= final_seq - d.snapshot_seq for n, d in zip(events, dashboards, strict=True)):
            return
        await asyncio.sleep(0.05)
