"""The soak's samples (bench.soak), their table and its verdict: what counts as growing."""

from dataclasses import dataclass, field, replace

RSS_GROWTH = 0.10  # the most each process's resident set may grow, baseline to end
# Descriptors and connections open at the moment of a sample vary with the work in flight
# then (a WebSocket or a callback mid-request, a call's HTTP connection to the provider): a
# leak of one per cycle or callback would add thousands over a run, far beyond these.
FD_SLACK = 10
CONNECTION_SLACK = 2
QUEUE_SLACK = 10  # task rows, and callbacks stored but not applied
SOCKET_SLACK = 2  # WebSockets daphne counts as open (the cycles keep at most one open)


@dataclass
class Load:
    """What the client did (counted as it goes) and what went wrong."""

    cycles: int = 0
    tones: int = 0
    calls_placed: int = 0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.cycles} WebSocket cycles, {self.tones} key presses on the bridge,"
            f" {self.calls_placed} calls placed (the emulator's count), {len(self.failures)}"
            " failures"
        )


@dataclass(frozen=True)
class Sample:
    at_s: float
    rss_mb: dict[str, float]  # per process
    fds: dict[str, int]  # per process
    connections: int  # to the database, of both processes
    tasks: int  # task rows ready or running
    pending: int  # callbacks stored, not applied
    backlog: int  # call-out recipients still to call
    sockets: int  # WebSockets daphne counts as open
    callbacks: int  # ingested so far (daphne's counter)
    cycles: int = 0  # WebSocket cycles so far
    tones: int = 0  # key presses so far

    def with_load(self, load: Load) -> "Sample":
        return replace(self, cycles=load.cycles, tones=load.tones)

    def line(self) -> str:
        return (
            f"{self.at_s / 60:5.1f} | {self.rss_mb['daphne']:6.1f} {self.rss_mb['worker']:6.1f}"
            f" | {self.fds['daphne']:4d} {self.fds['worker']:4d} | {self.connections:3d}"
            f" | {self.tasks:5d} {self.pending:5d} | {self.backlog:6d} | {self.sockets:3d}"
            f" | {self.cycles:6d} {self.callbacks:7d}"
        )


HEADER = (
    "  min |  RSS MB daphne worker | fds daphne worker | DB conns | tasks unapplied"
    " | backlog | WS open | WS cycles callbacks"
)
COLUMNS = "  min | daphne worker | dph. wkr. | DB. | tasks unapp | backlg | WS. | cycles callbks"


def print_table(database: str, samples: list[Sample]) -> None:
    print(f"\n[{database}] samples ({HEADER.strip()}):")
    print(COLUMNS)
    for sample in samples:
        print(sample.line())


def misses(samples: list[Sample], load: Load, warmup_s: float, locked: int) -> list[str]:
    """What missed a target, comparing the first sample after `warmup_s` with the last; each
    comparison is printed."""
    after = [s for s in samples if s.at_s >= warmup_s]
    if len(after) < 2:
        return ["too few samples after the warm-up"]
    base, end = after[0], after[-1]
    missed = []
    for name, mb in base.rss_mb.items():
        growth = end.rss_mb[name] / mb - 1
        print(f"  {name} RSS {mb:.1f} -> {end.rss_mb[name]:.1f} MB ({growth:+.1%})")
        if growth > RSS_GROWTH:
            missed.append(f"{name} RSS grew {growth:.1%}")
    grown = [(f"{name} fds", base.fds[name], end.fds[name], FD_SLACK) for name in base.fds] + [
        ("DB connections", base.connections, end.connections, CONNECTION_SLACK),
        ("task rows", base.tasks, end.tasks, QUEUE_SLACK),
        ("unapplied callbacks", base.pending, end.pending, QUEUE_SLACK),
        ("open WebSockets", base.sockets, end.sockets, SOCKET_SLACK),
    ]
    for label, was, now, slack in grown:
        print(f"  {label} {was} -> {now} ({now - was:+d}, at most +{slack})")
        if now - was > slack:
            missed.append(f"{label} {was} -> {now}")
    if load.failures:
        missed.append(f"{len(load.failures)} load failures (first: {load.failures[0]})")
    if not end.backlog:
        missed.append("the call-out ran out of people before the end")
    if locked:
        missed.append(f"{locked} 'database is locked' lines in the logs")
    return missed
