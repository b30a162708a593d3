"""Run wrk on the load core and read its summary."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.server import LOAD_CORE

CALLBACK_SCRIPT = Path(__file__).with_name("callback.lua")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests: int  # completed responses
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int  # non-2xx/3xx responses plus socket errors


def run_wrk(
    url: str, *, seconds: float, connections: int, script_args: list[str] | None = None
) -> WrkResult:
    """GET `url`, or POST distinct callbacks when `script_args` are given (see callback.lua)."""
    command = ["taskset", "-c", str(LOAD_CORE), "wrk", "-t1", f"-c{connections}"]
    command += [f"-d{seconds:g}s", "--timeout", "10s", "--latency"]
    if script_args is not None:
        command += ["-s", str(CALLBACK_SCRIPT), url, "--", *script_args]
    else:
        command.append(url)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return _parse(output)


def _parse(output: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if done is None or rps is None:
        raise RuntimeError(f"Unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return WrkResult(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * _UNITS_MS[done.group(3)] / 1000,
        rps=float(rps.group(1)),
        p50_ms=_percentile(output, "50%"),
        p99_ms=_percentile(output, "99%"),
        failed=failed,
    )


def _percentile(output: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"No {label} latency in wrk output:\n{output}")
    return float(found.group(1)) * _UNITS_MS[found.group(2)]
