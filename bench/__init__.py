"""On-demand benchmarks against the app served by daphne (never part of `make test`).

`python -m bench.ingest`: callback ingest throughput as a ratio of GET /healthz.
`python -m bench.fanout`: callback-to-WebSocket-frame latency at N connected dashboards.
"""
