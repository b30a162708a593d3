"""The call-outs' Prometheus metric: their backlog, read from the database at each scrape
(config.metrics adds the collector to every scrape; nothing counts it as it changes)."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from callouts.selectors import pending_recipients

logger = logging.getLogger(__name__)


class BacklogCollector(Collector):
    """incident_reporter_callout_backlog_recipients: people running call-outs have still to
    call. One figure for the whole deployment: every process that is scraped reports it."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            pending = pending_recipients()
        except DatabaseError:
            # A scrape must not fail for it: the metric is missing and /readyz tells why.
            logger.warning("The call-out backlog could not be read.", exc_info=True)
            return
        yield GaugeMetricFamily(
            "incident_reporter_callout_backlog_recipients",
            "Recipients of running call-outs still waiting to be called.",
            value=pending,
        )
