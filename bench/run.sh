#!/usr/bin/env bash
# Run the benchmarks against daphne on loopback (a few minutes per database).
# SQLite always; PostgreSQL too when TEST_POSTGRES_URL names a server (a database is created
# for the run and dropped after). Extra arguments go to each, e.g. `bench/run.sh --db sqlite`.
# Exits non-zero when the call-out benchmark misses one of its targets.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench needs taskset (util-linux)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench needs 2 cores: server on core 0, load on core 1" >&2; exit 1; }
"$python" -m bench.ingest "$@"
echo
"$python" -m bench.fanout "$@"
echo
"$python" -m bench.callout "$@"
