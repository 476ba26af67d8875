"""Prometheus metrics that several parts of Heliograph record, exposed at `/metrics`.

Counters and histograms are kept per process. When PROMETHEUS_MULTIPROC_DIR is set (settings
set it from HELIOGRAPH_METRICS_DIR before this module is imported), prometheus_client writes
them to memory-mapped files in that directory, and a scrape of any process adds up the files of
every process on the machine. Queue depth and delivery outcomes are read from the queue and the
database at scrape time, so they are the same whichever process serves the scrape.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

PUBLIC_CACHE = Counter(
    "heliograph_public_cache_total",
    "Public responses looked up in the response cache, by result (hit, miss, stale).",
    ["result"],
)
REQUESTS = Counter(
    "heliograph_http_requests_total",
    "HTTP requests answered by Django, by route name, method and status code.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "heliograph_http_request_duration_seconds",
    "Time from a request entering Django to its response leaving it, by route name.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def count_public_cache(result: str) -> None:
    """Count one lookup of a public response in the cache: `hit`, `miss` or `stale`."""
    PUBLIC_CACHE.labels(result=result).inc()


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one handled request and record how long it took."""
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    LATENCY.labels(route=route).observe(seconds)


class ScrapeTimeCollector(Collector):
    """Queue depth and delivery counts, read from the queue and the database at each scrape.

    A failing source is logged and left out of the scrape, so that the request metrics are
    still served while the database or the queue is down.
    """

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        yield from self._deliveries()

    def _queue(self) -> Iterator[Metric]:
        from huey.contrib.djhuey import HUEY

        try:
            pending = HUEY.pending_count()
            scheduled = HUEY.scheduled_count()
        except Exception:  # the storage may be SQLite or Redis, each with its own errors
            logger.exception("Reading the task queue's depth for /metrics failed")
            return
        depth = GaugeMetricFamily(
            "heliograph_queue_tasks",
            "Tasks in the background queue, by state (pending: waiting for a worker; "
            "scheduled: taken by a worker and parked until their time, such as retries).",
            labels=["state"],
        )
        depth.add_metric(["pending"], pending)
        depth.add_metric(["scheduled"], scheduled)
        yield depth

    def _deliveries(self) -> Iterator[Metric]:
        from django.db import DatabaseError
        from django.db.models import Count

        from heliograph.notifications.models import Delivery

        try:
            rows = list(Delivery.objects.values("channel", "status")
                        .annotate(total=Count("id")).order_by())
        except DatabaseError:
            logger.exception("Counting deliveries for /metrics failed")
            return
        family = GaugeMetricFamily(
            "heliograph_deliveries",
            "Notifications recorded in the database, by channel and status (pending, sending, "
            "sent, failed, cancelled).",
            labels=["channel", "status"],
        )
        for row in rows:
            family.add_metric([row["channel"], row["status"]], row["total"])
        yield family


def clear_metrics_directory(directory: str | Path) -> int:
    """Delete the metric files of processes that have ended, and count them.

    prometheus_client names each file after the process that writes it (`counter_1234.db`). A
    file whose process still runs is kept, so a server may call this while the worker of the
    same machine runs. A counter that loses an ended process's share goes down, which
    Prometheus reads as a restart.
    """
    removed = 0
    for path in Path(directory).glob("*.db"):
        if _process_runs(path.stem.rsplit("_", 1)[-1]):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _process_runs(pid_text: str) -> bool:
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def render_metrics() -> tuple[bytes, str]:
    """Return the body and content type of a scrape, in the Prometheus text format."""
    registry = CollectorRegistry()
    # prometheus_client chose where this process's values live when it was imported, so that
    # choice, not the current environment, decides how to read them.
    if values.ValueClass is not values.MutexValue and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (PUBLIC_CACHE, REQUESTS, LATENCY):
            registry.register(collector)
    registry.register(ScrapeTimeCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
