"""Benchmark 1: callback ingest throughput as a ratio of GET /healthz on the same server.

    python -m bench.ingest [--db auto|sqlite|postgres] [--seconds 8] [--warmup 2]
                           [--connections 32] [--worker]

One daphne process on core 0, wrk on core 1. Each callback is a distinct event (three DTMF key
presses to one roster snapshot), so every request is verified, parsed, stored and applied; the
key presses are broadcast too (the snapshot lists the same person each time: no change).
Order: baseline, callbacks, baseline again; the ratio uses the mean baseline.
Target (issue 4): callbacks at least 0.5x the baseline.
"""

import argparse
import tempfile
import time
from pathlib import Path

from bench.envelopes import ingest_templates
from bench.server import Server, databases_to_run, serve
from bench.wrk import WrkResult, run_wrk

TARGET_RATIO = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--worker",
        action="store_true",
        help="scale-out mode: daphne only stores; `manage.py run_worker` (core 1) applies",
    )
    args = parser.parse_args()
    mode = "store only, run_worker applies on core 1" if args.worker else "store and apply"
    print(
        f"ingest ({mode}): wrk -t1 -c{args.connections} -d{args.seconds:g}s,"
        " server core 0, wrk core 1"
    )
    for database in databases_to_run(args.db):
        with serve(database, worker=args.worker) as server:
            _bench(server, seconds=args.seconds, warmup=args.warmup, connections=args.connections)


class _CallbackLoad:
    """wrk runs posting distinct callbacks; tracks how many the server accepted."""

    def __init__(self, server: Server, templates: Path) -> None:
        self.server = server
        self.templates = templates
        self.base_epoch = int(time.time())
        self.next_seq = 0
        self.accepted = 0

    def run(self, *, seconds: float, connections: int) -> WrkResult:
        first_seq, self.next_seq = self.next_seq, self.next_seq + 10_000_000
        args = [str(self.templates), str(first_seq), str(self.base_epoch)]
        result = run_wrk(
            self.server.callback_url, seconds=seconds, connections=connections, script_args=args
        )
        self.accepted += result.requests - result.failed
        return result


def _bench(server: Server, *, seconds: float, warmup: float, connections: int) -> None:
    healthz = f"{server.base_url}/healthz"
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as templates:
        templates.write("\n".join(ingest_templates()) + "\n")
        templates.flush()
        callbacks = _CallbackLoad(server, Path(templates.name))
        run_wrk(healthz, seconds=warmup, connections=connections)
        callbacks.run(seconds=warmup, connections=connections)
        rows = []
        for label in ("GET /healthz", "POST callback", "GET /healthz"):
            cpu_before = server.cpu_seconds()
            if label == "POST callback":
                result = callbacks.run(seconds=seconds, connections=connections)
            else:
                result = run_wrk(healthz, seconds=seconds, connections=connections)
            rows.append((label, result, server.cpu_seconds() - cpu_before))
    time.sleep(0.5)  # let requests still in flight at wrk's cutoff finish
    _report(server, rows, callbacks.accepted)


def _report(server: Server, rows: list[tuple[str, WrkResult, float]], accepted: int) -> None:
    print(f"\n[{server.database}]")
    columns = ("req/s", "p50 ms", "p99 ms", "failed", "CPU ms/req")
    print(f"  {'endpoint':<14} " + " ".join(f"{c:>8}" for c in columns))
    for label, result, cpu in rows:
        cpu_ms = 1000 * cpu / max(result.requests, 1)
        print(
            f"  {label:<14} {result.rps:8.0f} {result.p50_ms:8.1f} {result.p99_ms:8.1f}"
            f" {result.failed:8d} {cpu_ms:8.2f}"
        )
    baseline = (rows[0][1].rps + rows[2][1].rps) / 2
    ratio = rows[1][1].rps / baseline
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"  ratio callback/healthz: {ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)")
    stored = server.stored_events()
    lost = max(accepted - stored, 0)
    print(
        f"  CallEvent rows: {stored} for {accepted} accepted callbacks"
        f" (lost: {lost}; rows beyond the count were still in flight at wrk's cutoff)"
    )
    pending = _wait_until_applied(server)
    print(f"  stored events still unapplied 10 s after the run: {pending}")
    problems = server.problems()
    print(f"  server log problems: {len(problems)}")
    for line in problems[:5]:
        print(f"    {line}")


def _wait_until_applied(server: Server, seconds: float = 10) -> int:
    deadline = time.monotonic() + seconds
    while (pending := server.pending_events()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return pending


if __name__ == "__main__":
    main()
