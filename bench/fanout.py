"""Benchmark 2: latency from a callback's arrival to the WebSocket frame at N dashboards,
against the framework's floor measured in the same daphne process during the same run.

    python -m bench.fanout [--runs 5] [--db auto|sqlite|postgres] [--sockets 50] [--rate 20]
                           [--seconds 10] [--blocks 4] [--floor-sends 2]

One daphne process on core 0 serves bench.relay (the app, plus a bare Channels relay); this
client (all sockets and the POSTs) runs on core 1. The floor: POSTs to the relay, each making
`--floor-sends` group_sends to N sockets joined to one group by a minimal consumer. The app:
callbacks that are roster snapshots alternately adding and dropping one person, each producing
a `participant` and a `timeline` event. Both are posted open-loop at the same rate, in
alternating blocks (bench.phases). A participant frame is matched to its POST by the joined/left
time (the event's own time), a timeline frame by the seq just before it; a floor frame by its
seq. Latency = frame arrival - POST send, on this process's clock.
Target (issue 9): the app's p99 at most TARGET_RATIO x the floor's p99, in every run.
"""

import argparse
import asyncio
import itertools
import json
import statistics
from dataclasses import dataclass
from datetime import datetime

from bench.dashboards import Dashboard
from bench.phases import Load, Path, Run, measure
from bench.server import Server, databases_to_run, pin_to_load_core, serve
from bench.wrk import run_wrk

TARGET_RATIO = 1.2


@dataclass(frozen=True)
class Stats:
    frames: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, latencies: list[float]) -> "Stats":
        ordered = sorted(latencies) or [float("nan")]
        p50, p95, p99 = (_pick(ordered, f) for f in (0.5, 0.95, 0.99))
        return cls(len(latencies), p50, p95, p99, ordered[-1])

    def __str__(self) -> str:
        return f"p50 {self.p50:5.1f}  p95 {self.p95:5.1f}  p99 {self.p99:5.1f} ms"


@dataclass(frozen=True)
class Outcome:
    database: str
    floor: Stats
    app: Stats

    @property
    def ratio(self) -> float:
        return self.app.p99 / self.floor.p99

    def line(self) -> str:
        verdict = "meets" if self.ratio <= TARGET_RATIO else "MISSES"
        return (
            f"floor {self.floor} | app {self.app} | app p99 / floor p99 {self.ratio:.2f}"
            f" ({verdict} <= {TARGET_RATIO:g})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="each with a fresh server")
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--sockets", type=int, default=50, help="per path")
    parser.add_argument("--rate", type=float, default=20.0, help="callbacks per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="of load per path")
    parser.add_argument("--blocks", type=int, default=4, help="alternating blocks per path")
    parser.add_argument("--floor-sends", type=int, default=2, help="group_sends per floor POST")
    args = parser.parse_args()
    pin_to_load_core()
    load = Load(
        args.sockets, args.rate, int(args.rate * args.seconds), args.blocks, args.floor_sends
    )
    print(
        f"fanout: {load.sockets} sockets per path, {load.rate:g} callbacks/s, {load.count}"
        f" callbacks per path in {load.blocks} blocks each (floor: {load.floor_sends}"
        " group_sends per POST; app: 2 events per callback), server core 0, client core 1"
    )
    outcomes = []
    for run in range(1, args.runs + 1):
        for database in databases_to_run(args.db):
            with serve(database, application="bench.relay:application") as server:
                baseline = run_wrk(f"{server.base_url}/healthz", seconds=3, connections=32)
                outcome = _report(server, baseline.rps, load, asyncio.run(measure(server, load)))
            print(f"run {run} [{database}]: {outcome.line()}")
            outcomes.append(outcome)
    _summarise(outcomes)


def _summarise(outcomes: list[Outcome]) -> None:
    print(f"\nsummary ({len(outcomes)} runs, target app p99 / floor p99 <= {TARGET_RATIO:g}):")
    for database in dict.fromkeys(o.database for o in outcomes):
        mine = [o for o in outcomes if o.database == database]
        for index, outcome in enumerate(mine, 1):
            print(f"  [{database}] run {index}: {outcome.line()}")
        worst = max(mine, key=lambda o: o.ratio)
        ratios = ", ".join(f"{o.ratio:.2f}" for o in mine)
        print(f"  [{database}] ratios {ratios}; worst: {worst.line()}")


def _floor_latencies(sockets: list[Dashboard], path: Path, sends: int) -> list[float]:
    latencies = []
    for socket in sockets:
        for at, m in socket.messages():
            if m["type"] == "event":
                latencies.append(1000 * (at - path.posts[m["seq"] // sends].sent_at))
    return latencies


_STAGES = (
    "POST sent -> received by the relay",
    "received -> group_send",
    "group_send -> consumer handler",
    "handler -> frame received",
)


def _floor_stages(sockets: list[Dashboard], path: Path, sends: int) -> None:
    """Where a floor frame's time goes, from the relay's timestamps in it (bench.relay)."""
    spans: list[list[float]] = [[] for _ in _STAGES]
    for socket in sockets:
        for arrived, m in socket.messages():
            if m["type"] == "event":
                sent = path.posts[m["seq"] // sends].sent_at
                points = [sent, *m["data"]["at"], arrived]
                for stage, (start, end) in enumerate(itertools.pairwise(points)):
                    spans[stage].append(1000 * (end - start))
    for name, values in zip(_STAGES, spans, strict=True):
        stats = Stats.of(values)
        print(f"    floor {name:36} {stats}")


def _app_latencies(run: Run) -> tuple[list[float], int]:
    """Frame arrival - POST send, in ms, for every event frame matched to its callback; and
    how many callbacks were matched (a roster snapshot older than one already applied is
    stored but changes nothing, so it has no frame)."""
    parsed = [d.messages() for d in run.dashboards]
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
                latencies.append(1000 * (at - run.app.posts[index].sent_at))
    return latencies, len(set(by_seq.values()))


def _pick(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _report(server: Server, baseline_rps: float, load: Load, run: Run) -> Outcome:
    floor = Stats.of(_floor_latencies(run.floor_sockets, run.floor, load.floor_sends))
    latencies, matched = _app_latencies(run)
    app = Stats.of(latencies)
    print(f"\n[{server.database}]")
    print(f"  baseline GET /healthz (wrk -c32, before the sockets): {baseline_rps:.0f} req/s")
    for name, path, stats in (("floor", run.floor, floor), ("app", run.app, app)):
        answers = [1000 * (p.answered_at - p.sent_at) for p in path.posts]
        failed = sum(1 for p in path.posts if p.status != 200)
        print(
            f"  {name:5}: callback->frame over {stats.frames} frames: {stats}, max"
            f" {stats.max:.1f} ms; POST->200 p50 {statistics.median(answers):.1f} ms,"
            f" {failed} not 200; server CPU {1000 * path.server_cpu / len(path.posts):.1f} ms"
            f" per callback ({100 * path.server_cpu / path.wall:.0f}% of its core)"
        )
    _floor_stages(run.floor_sockets, run.floor, load.floor_sends)
    _report_delivery(run, matched)
    print(f"  client CPU {100 * run.client_cpu / run.wall:.0f}% of its core over {run.wall:.1f} s")
    problems = server.problems()
    print(f"  server log problems: {len(problems)}")
    for line in problems[:5]:
        print(f"    {line}")
    return Outcome(server.database, floor, app)


def _report_delivery(run: Run, matched: int) -> None:
    expected = sum(run.final_seq - d.snapshot_seq for d in run.dashboards)
    delivered = sum(
        len({m["seq"] for _, m in d.messages() if m["type"] == "event"}) for d in run.dashboards
    )
    floor_seqs = [
        len({json.loads(raw)["events"][0]["seq"] for _, raw in s.frames}) for s in run.floor_sockets
    ]
    print(
        f"  delivered: app {delivered} of {expected} event frames"
        f" ({100 * delivered / max(expected, 1):.1f}%; {len(run.app.posts) - matched} callbacks"
        f" changed nothing, an older roster snapshot answered after a newer one); floor"
        f" {sum(floor_seqs)} distinct events over {len(run.floor_sockets)} sockets"
    )


if __name__ == "__main__":
    main()
