"""Benchmark 2: latency from a callback's arrival to the WebSocket frame at N dashboards.

    python -m bench.fanout [--db auto|sqlite|postgres] [--sockets 50] [--rate 20] [--seconds 10]

One daphne process on core 0; this client (all sockets and the POSTs) on core 1. Callbacks are
roster snapshots that alternately add and drop one person, posted open-loop at a steady rate;
each produces a `participant` and a `timeline` event. A participant frame is matched to its POST
by the joined/left time (the event's own time), a timeline frame by the seq just before it.
Latency = frame arrival - POST send, on this process's clock. Target (issue 4): p99 < 50 ms.
"""

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from bench.dashboards import Dashboard, close_dashboards, open_dashboards
from bench.envelopes import JOINED_NUMBER, TOGGLED_NUMBER, event_time, roster_body
from bench.server import Server, databases_to_run, pin_to_load_core, serve
from bench.wrk import run_wrk

TARGET_P99_MS = 50.0
DRAIN_SECONDS = 5.0


@dataclass
class Posted:
    sent_at: float
    answered_at: float = 0.0
    status: int = 0


@dataclass(frozen=True)
class Run:
    posts: list[Posted]
    by_event_time: dict[datetime, int]  # event time -> index in posts
    final_seq: int
    server_cpu: float
    client_cpu: float
    wall: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="callbacks per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    pin_to_load_core()
    count = int(args.rate * args.seconds)
    print(
        f"fanout: {args.sockets} dashboards, {args.rate:g} callbacks/s for {args.seconds:g} s"
        f" ({count} callbacks, 2 events each), server core 0, client core 1"
    )
    for database in databases_to_run(args.db):
        with serve(database) as server:
            baseline = run_wrk(f"{server.base_url}/healthz", seconds=3, connections=32)
            dashboards, run = asyncio.run(_measure(server, args.sockets, args.rate, count))
            _report(server, baseline.rps, dashboards, run)


async def _measure(
    server: Server, sockets: int, rate: float, count: int
) -> tuple[list[Dashboard], Run]:
    fixture = server.fixture
    dashboards = await open_dashboards(
        server.base_url, fixture.incident_id, fixture.session_cookie, sockets
    )
    readers = [asyncio.create_task(d.read()) for d in dashboards]
    cpu_server, cpu_client, start = server.cpu_seconds(), time.process_time(), time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as client:
        posts, by_event_time = await _post_callbacks(client, server.callback_url, rate, count)
    await _until_quiet(dashboards)  # before anything else runs on the client's core
    await _until_applied(server)
    final_seq = await _final_seq(dashboards[0])
    await _drain(dashboards, final_seq)
    run = Run(
        posts=posts,
        by_event_time=by_event_time,
        final_seq=final_seq,
        server_cpu=server.cpu_seconds() - cpu_server,
        client_cpu=time.process_time() - cpu_client,
        wall=time.perf_counter() - start,
    )
    await close_dashboards(dashboards)
    await asyncio.gather(*readers)
    return dashboards, run


async def _post_callbacks(
    client: httpx.AsyncClient, url: str, rate: float, count: int
) -> tuple[list[Posted], dict[datetime, int]]:
    """Open loop: callback i leaves at start + i/rate whether or not earlier ones have answered."""
    base = datetime.now(UTC).replace(microsecond=0)
    posts = [Posted(sent_at=0.0) for _ in range(count)]
    by_event_time: dict[datetime, int] = {}
    tasks = []
    start = time.perf_counter()
    for index in range(count):
        await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
        at = base + timedelta(milliseconds=index)
        by_event_time[at] = index
        numbers = [JOINED_NUMBER, TOGGLED_NUMBER] if index % 2 == 0 else [JOINED_NUMBER]
        body = roster_body(numbers, event_time(at))
        tasks.append(asyncio.create_task(_post(client, url, body, posts[index])))
    await asyncio.gather(*tasks)
    return posts, by_event_time


async def _post(client: httpx.AsyncClient, url: str, body: str, posted: Posted) -> None:
    posted.sent_at = time.perf_counter()
    response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
    posted.answered_at = time.perf_counter()
    posted.status = response.status_code


async def _until_quiet(dashboards: list[Dashboard], quiet: float = 0.3) -> None:
    """Wait (bounded) until no frame has arrived for `quiet` seconds."""
    deadline = time.monotonic() + DRAIN_SECONDS
    frames = -1
    while time.monotonic() < deadline:
        now = sum(len(d.frames) for d in dashboards)
        if now == frames:
            return
        frames = now
        await asyncio.sleep(quiet)


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


def _latencies(dashboards: list[Dashboard], run: Run) -> tuple[list[float], int]:
    """Frame arrival - POST send, in ms, for every event frame matched to its callback; and
    how many callbacks were matched (a roster snapshot older than one already applied is
    stored but changes nothing, so it has no frame)."""
    parsed = [d.messages() for d in dashboards]
    by_seq: dict[int, int] = {}
    for messages in parsed:
        for _, m in messages:
            if m["type"] == "event" and m["kind"] == "participant":
                data = m["data"]
                moment = data["joined_at"] if data["state"] == "joined" else data["left_at"]
                by_seq[m["seq"]] = run.by_event_time[datetime.fromisoformat(moment)]
    latencies = []
    for messages in parsed:
        for at, m in messages:
            if m["type"] != "event":
                continue
            index = by_seq.get(m["seq"] if m["kind"] == "participant" else m["seq"] - 1)
            if index is not None:
                latencies.append(1000 * (at - run.posts[index].sent_at))
    return latencies, len(set(by_seq.values()))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _report(server: Server, baseline_rps: float, dashboards: list[Dashboard], run: Run) -> None:
    latencies, matched = _latencies(dashboards, run)
    expected = sum(run.final_seq - d.snapshot_seq for d in dashboards)
    delivered = sum(
        len({m["seq"] for _, m in d.messages() if m["type"] == "event"}) for d in dashboards
    )
    answers = [1000 * (p.answered_at - p.sent_at) for p in run.posts]
    failed = sum(1 for p in run.posts if p.status != 200)
    events = run.final_seq - dashboards[0].snapshot_seq
    print(f"\n[{server.database}]")
    print(
        "  baseline GET /healthz (same server, wrk -c32, before the sockets):"
        f" {baseline_rps:.0f} req/s"
    )
    print(
        f"  callbacks: {len(run.posts)} posted, {failed} not 200; POST->200 p50"
        f" {statistics.median(answers):.1f} ms, p99 {_percentile(answers, 0.99):.1f} ms;"
        f" {events} events broadcast; {len(run.posts) - matched} callbacks changed nothing"
        " (an older roster snapshot answered after a newer one)"
    )
    if latencies:
        p99 = _percentile(latencies, 0.99)
        verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
        print(
            f"  callback->frame latency over {len(latencies)} frames: p50"
            f" {_percentile(latencies, 0.5):.1f} ms, p95 {_percentile(latencies, 0.95):.1f} ms,"
            f" p99 {p99:.1f} ms, max {max(latencies):.1f} ms"
            f" ({verdict} the p99 < {TARGET_P99_MS:g} ms target)"
        )
    print(
        f"  frames delivered: {delivered} of {expected} expected"
        f" ({100 * delivered / max(expected, 1):.1f}%, {delivered / run.wall:.0f} frames/s)"
    )
    print(
        f"  CPU over {run.wall:.1f} s: server {run.server_cpu:.1f} s"
        f" ({100 * run.server_cpu / run.wall:.0f}% of its core),"
        f" client {run.client_cpu:.1f} s ({100 * run.client_cpu / run.wall:.0f}%)"
    )
    problems = server.problems()
    print(f"  server log problems: {len(problems)}")
    for line in problems[:5]:
        print(f"    {line}")


if __name__ == "__main__":
    main()
