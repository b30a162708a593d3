"""The call-out benchmark's figures, computed from the emulator's list of calls."""

from datetime import UTC, datetime, timedelta

from bench.callout import Outcome
from bench.ledger import busiest_second, compare, handovers, start_rate

START = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _call(target: str, created: float, ended: float = 9, caller: str = "+1") -> dict[str, object]:
    """A call in the emulator's list, created and ended that many seconds after START."""
    return {
        "callerId": caller,
        "targets": [target],
        "createdAt": (START + timedelta(seconds=created)).isoformat(timespec="microseconds"),
        "endedAt": (START + timedelta(seconds=ended)).isoformat(timespec="microseconds"),
    }


def test_the_start_rate_counts_the_gaps_between_the_first_start_and_the_last() -> None:
    calls = [_call("+1", 0, 2), _call("+2", 1, 2), _call("+3", 4)]
    # 3 starts over 4 s are 2 gaps: 0.5/s; held 2 s, 1 s and 5 s.
    assert start_rate(calls) == (0.5, 8 / 3)


def test_calls_beyond_the_attempts_are_duplicates_and_attempts_without_a_call_missing() -> None:
    calls = [_call("+1", 0), _call("+1", 1), _call("+2", 2)]
    tried = {"+1": ["no_answer"], "+2": ["no_answer", "no_answer"], "+3": ["acknowledged"]}
    assert compare(calls, tried) == (1, 2)
    assert compare(calls, {"+1": ["busy", "busy"], "+2": ["acknowledged"]}) == (0, 0)


def test_the_busiest_second_is_a_window_of_one_second_anywhere() -> None:
    calls = [_call("+1", t) for t in (0.9, 1.0, 1.5, 1.899, 2.0, 3.0)]
    assert busiest_second(calls) == 4  # 0.9 to 1.899; 1.0 to 2.0 is one second too many


def test_a_freed_line_waits_from_its_call_s_end_to_the_next_call_on_that_number() -> None:
    calls = [_call("+1", 0, 2), _call("+2", 0, 3), _call("+3", 2.5, 4), _call("+4", 3.1, 5)]
    # At 2 s the number had 2 calls: the next came 0.5 s later. At 3 s it had 2 again (the
    # next 0.1 s later); at 4 s too, but no call came after; at 5 s it had only the one.
    assert [round(w, 3) for w in handovers(calls, 2)] == [0.5, 0.1]
    other_number = [*calls, _call("+5", 2.1, 6, caller="+2")]
    assert [round(w, 3) for w in handovers(other_number, 2)] == [0.5, 0.1]


def _outcome(**changes: object) -> Outcome:
    figures: dict[str, object] = {
        "database": "sqlite",
        "started": 18.0,
        "allowed": 20.0,
        "mean_call_s": 1.0,
        "busiest_second": 20,
        "peaks": {"+1": 2, "+2": 2},
        "limit": 2,
        "duplicates": 0,
        "missing": 0,
        "left_up": 0,
        "declare_small_s": 0.1,
        "declare_big_s": 0.9,
        "rss_mb": 150.0,
    }
    return Outcome(**(figures | changes))  # type: ignore[arg-type]


def test_a_run_meets_its_targets_only_when_every_figure_does() -> None:
    assert _outcome().misses == []
    assert len(_outcome(started=17.9).misses) == 1
    assert len(_outcome(peaks={"+1": 3, "+2": 2}).misses) == 1
    assert len(_outcome(peaks={"+1": 1, "+2": 2}).misses) == 1
    assert len(_outcome(duplicates=1).misses) == 1
    assert len(_outcome(missing=1).misses) == 1
    assert len(_outcome(left_up=1).misses) == 1
    assert len(_outcome(declare_big_s=1.0).misses) == 1
    assert len(_outcome(rss_mb=200.0).misses) == 1
