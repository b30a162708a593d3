"""GET /metrics: the Prometheus exposition, for a bearer of METRICS_TOKEN or a client on one of
METRICS_ALLOWED_NETWORKS only.

The metrics are defined (and counted) where their events happen: calls.metrics,
incidents.metrics; the call-out backlog is read at each scrape (callouts.metrics). With
PROMETHEUS_MULTIPROC_DIR set, every process of the machine (daphne processes and workers)
writes its figures to files there and a scrape of any one web process answers for all of
them (README "Operability" says why this mode).
"""

import hmac
import ipaddress
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector, CollectorRegistry

from callouts.metrics import BacklogCollector
from config.errors import ScrapeRefused, error_body

# prometheus-client names a live gauge's file of each process gauge_<mode>_<pid>.db.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]*_(\d+)\.db")


@login_not_required
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    try:
        _check_may_scrape(request)
    except ScrapeRefused as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


def _check_may_scrape(request: HttpRequest) -> None:
    """Raises ScrapeRefused unless the request bears the token or comes from an allowed
    network (its peer's address: behind a proxy on this machine, that is the proxy's)."""
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        peer = None
    networks = (ipaddress.ip_network(n) for n in settings.METRICS_ALLOWED_NETWORKS)
    if peer is not None and any(peer in network for network in networks):
        return
    raise ScrapeRefused("Metrics are served to the configured token or networks only.")


class _Forward(Collector):
    """A registry's metrics, seen as one collector of another registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


def scrape_registry() -> CollectorRegistry:
    """What one scrape reports: this process's metrics, or in multiprocess mode every live
    and past process's of this machine, and the call-out backlog."""
    registry = CollectorRegistry()
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory:
        _forget_dead_processes(Path(directory))
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(BacklogCollector())
    return registry


def _forget_dead_processes(directory: Path) -> None:
    # A live gauge (WebSocket clients) sums live processes only, and a process killed with
    # -9 cannot say it died: its file goes once its pid is gone. Counters stay, as they must.
    for pid in _pids_with_live_gauges(directory):
        if not _alive(pid):
            mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def _pids_with_live_gauges(directory: Path) -> Iterator[int]:
    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match:
            yield int(match.group(1))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
