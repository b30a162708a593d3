"""The live pages' Prometheus metrics (README "Operability"): how many WebSocket clients this
process serves, and how long a provider callback takes to reach the dashboards."""

from typing import Any

from prometheus_client import Gauge, Histogram

ASGIApp = Any

WEBSOCKET_CLIENTS = Gauge(
    "incident_reporter_websocket_clients",
    "WebSocket clients connected (the incident and list pages), summed over live processes.",
    multiprocess_mode="livesum",
)
# From the callback request's arrival to its dashboard broadcast being handed to the channel
# layer: storing, waiting to be applied (the worker's poll, too), applying, committing.
CALLBACK_TO_BROADCAST = Histogram(
    "incident_reporter_callback_to_broadcast_seconds",
    "Seconds from a provider callback's arrival to the broadcast of what it changed.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def count_websocket_clients(app: ASGIApp) -> ASGIApp:
    """Count each WebSocket the app accepts as connected until its connection ends: the one
    place that sees every socket, whichever consumer serves it."""

    async def counted(scope: dict[str, Any], receive: Any, send: Any) -> None:
        accepted = False

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal accepted
            await send(message)
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKET_CLIENTS.inc()

        try:
            await app(scope, receive, counting_send)
        finally:
            if accepted:
                WEBSOCKET_CLIENTS.dec()

    return counted
