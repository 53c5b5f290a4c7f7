"""Prometheus metrics of the service and ``GET /metrics`` (the text exposition format).

Under gunicorn every worker is its own process with its own counters. ``askfind serve``
points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start
(``widget.server``), prometheus-client then keeps each worker's values in memory-mapped
files there, and ``/metrics``, whichever worker answers it, adds them all up. Without that
variable (tests, the development server) the process's own registry is served.

The cache hit ratio is ``rate(askfind_cache_lookups_total{result="hit"}[5m]) /
rate(askfind_cache_lookups_total[5m])``.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Suggestions answer in milliseconds from the cache and in tens of them from the index.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "askfind_request_duration_seconds",
    "Time from request to response, per endpoint.",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "askfind_requests_total",
    "HTTP requests answered, per endpoint and status.",
    ["endpoint", "status"],
)
CACHE_LOOKUPS = Counter(
    "askfind_cache_lookups_total",
    "Cache lookups: suggestion answers and query embeddings, hits and misses.",
    ["cache", "result"],
)
BACKEND_ERRORS = Counter(
    "askfind_backend_errors_total",
    "Failed calls to a backend: the index, Redis, the event store.",
    ["backend"],
)
RATE_LIMITED = Counter(
    "askfind_rate_limited_total", "Requests refused with 429, per limit.", ["bucket"]
)
EVENTS = Counter("askfind_events_total", "Analytics events stored, per type.", ["type"])
THREADS_WRITTEN = Counter(
    "askfind_threads_written_total", "Threads upserted or deleted through the API.", ["action"]
)
INDEX_THREADS = Gauge(
    "askfind_index_threads",
    "Threads in the live index (as of the last scrape).",
    multiprocess_mode="mostrecent",
)
REDIS_UP = Gauge(
    "askfind_redis_up",
    "1 while Redis answers (in every live worker), 0 while any worker is without it.",
    multiprocess_mode="livemin",
)

metrics_page = Blueprint("metrics", __name__)


@metrics_page.get("/metrics")
def expose() -> Any:
    """Every worker's metrics, in the Prometheus text format."""
    from widget.context import engine_of

    try:
        INDEX_THREADS.set(engine_of(current_app).backend.stats().threads)
    except Exception:  # an unreachable index is a metric too, not a failed scrape
        BACKEND_ERRORS.labels(backend="index").inc()
    # content_type, not mimetype: CONTENT_TYPE_LATEST names its charset already, and a
    # mimetype would get Flask's added a second time.
    return Response(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


def registry() -> Any:
    """All workers' values in multiprocess mode, this process's otherwise."""
    if os.environ.get(MULTIPROCESS_ENV):
        collected = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
        return collected
    return REGISTRY


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint=endpoint, method=method).observe(seconds)
    REQUESTS.labels(endpoint=endpoint, status=str(status)).inc()
