"""Prometheus metrics: HTTP traffic, article ingest and extraction errors.

One registry per process, at module level rather than per app: ingest is observed in
``app.kb``, which knows nothing of the app serving it, and a scraper sees one process anyway.
Tests that build many apps read deltas. Collectors are plain objects: importing this module
does no I/O. Under several uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder,
set before start) and ``exposition`` merges every worker's values (prometheus_client's
multiprocess mode).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from app import __version__
from app.extract.failures import EXTRACTORS

P = ParamSpec("P")
R = TypeVar("R")
IngestT = TypeVar("IngestT", bound="Ingested")

# No ``*_created`` series: half the samples, and nothing a NewsKB dashboard needs.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
if MULTIPROCESS_ENV not in os.environ:  # per-process collectors make no sense merged
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        REGISTRY.register(collector)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route label of paths no route serves (scans, typos)

BUILD_INFO = Gauge(
    "newskb_build_info",
    "Always 1; the labels say which NewsKB version is running.",
    ["version"],
    registry=REGISTRY,
    multiprocess_mode="max",
)
BUILD_INFO.labels(version=__version__).set(1)

HTTP_REQUESTS = Counter(
    "newskb_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "newskb_http_request_duration_seconds",
    "Time from request to the end of the answer, by method and route template.",
    ["method", "route"],
    registry=REGISTRY,
)
HTTP_IN_PROGRESS = Gauge(
    "newskb_http_requests_in_progress",
    "Requests being answered right now.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
INGESTS = Counter(
    "newskb_ingest_articles",
    "Articles submitted one at a time (API, seed), by outcome: created, version (a new text "
    "at a stored URL), duplicate, failed.",
    ["outcome"],
    registry=REGISTRY,
)
INGEST_DURATION = Histogram(
    "newskb_ingest_duration_seconds",
    "Time to ingest one article (duplicate check, extraction, storage), by outcome.",
    ["outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
for outcome in ("created", "duplicate", "failed"):  # present from the start, so rate() works
    INGESTS.labels(outcome=outcome)
    INGEST_DURATION.labels(outcome=outcome)
EXTRACTION_ERRORS = Counter(
    "newskb_extraction_errors",
    "Extraction runs (one article or one batch) that raised, by exception class.",
    ["error"],
    registry=REGISTRY,
)

READ_CACHE_LOOKUPS = Counter(
    "newskb_read_cache_lookups",
    "Cacheable GETs by outcome: hit (answered from the read cache) or miss (built by the route).",
    ["outcome"],
    registry=REGISTRY,
)
READ_CACHE_HITS = READ_CACHE_LOOKUPS.labels(outcome="hit")
READ_CACHE_MISSES = READ_CACHE_LOOKUPS.labels(outcome="miss")
READ_CACHE_DROPPED = Counter(
    "newskb_read_cache_dropped",
    "Cached answers dropped because a committed write can change them.",
    registry=REGISTRY,
)

EXTRACTOR_FAILURES = Counter(
    "newskb_extractor_failures",
    "Facts dropped because an extractor raised on one candidate (a date, an amount, a quote, "
    "an event trigger) or on a whole article; the article was still stored. By extractor.",
    ["extractor"],
    registry=REGISTRY,
)
for extractor in EXTRACTORS:
    EXTRACTOR_FAILURES.labels(extractor=extractor)


QUEUE_JOBS = Gauge(
    "newskb_queue_jobs",
    "Ingest jobs by state (queued, running, done, failed), read from the database when "
    "scraped: the same in every process.",
    ["state"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
QUEUE_OUTCOMES = Gauge(
    "newskb_queue_outcomes",
    "Finished ingest jobs by outcome: created, version (a new text at a stored URL), "
    "duplicate, failed (dead letters).",
    ["outcome"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
QUEUE_RETRYING = Gauge(
    "newskb_queue_retrying_jobs",
    "Queued or running jobs past their first attempt.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
QUEUE_AGE = Gauge(
    "newskb_queue_oldest_age_seconds",
    "Age of the oldest queued job (since submitted) and running job (since started); 0 if none.",
    ["state"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


def observe_queue(
    by_state: dict[str, int], outcomes: dict[str, int], retrying: int, ages: dict[str, float]
) -> None:
    """Set the queue's gauges from one read of the jobs table (at each scrape)."""
    for state, count in by_state.items():
        QUEUE_JOBS.labels(state=state).set(count)
    for outcome, count in outcomes.items():
        QUEUE_OUTCOMES.labels(outcome=outcome).set(count)
    QUEUE_RETRYING.set(retrying)
    for state, seconds in ages.items():
        QUEUE_AGE.labels(state=state).set(seconds)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"  # no label per junk method
    key = (method, route, status)
    if (children := _REQUEST_CHILDREN.get(key)) is None:
        # ``labels()`` checks and joins the label values under a lock on every call: a few
        # microseconds twice per request, a visible share of a cached answer's CPU. The
        # children never change for a label set, and routes and statuses are few.
        children = _REQUEST_CHILDREN[key] = (
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
            HTTP_DURATION.labels(method=method, route=route),
        )
    count, duration = children
    count.inc()
    duration.observe(seconds)


_REQUEST_CHILDREN: dict[tuple[str, str, int], tuple[Any, Any]] = {}


class Ingested(Protocol):
    @property
    def created(self) -> bool: ...

    @property
    def version(self) -> int | None: ...


def observed_ingest(ingest: Callable[P, IngestT]) -> Callable[P, IngestT]:
    """Count and time each call of a one-article ingest; a raise counts as failed."""

    @functools.wraps(ingest)
    def observed(*args: P.args, **kwargs: P.kwargs) -> IngestT:
        started, outcome = time.perf_counter(), "failed"
        try:
            result = ingest(*args, **kwargs)
            outcome = "created" if result.created else "version" if result.version else "duplicate"
            return result
        finally:
            INGESTS.labels(outcome=outcome).inc()
            INGEST_DURATION.labels(outcome=outcome).observe(time.perf_counter() - started)

    return observed


def observed_extraction(extract: Callable[P, R]) -> Callable[P, R]:
    """Count the extraction runs that raise, by exception class."""

    @functools.wraps(extract)
    def observed(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return extract(*args, **kwargs)
        except Exception as exc:
            EXTRACTION_ERRORS.labels(error=exc.__class__.__name__).inc()
            raise

    return observed


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The metrics in the text format the scraper asked for (Prometheus text or OpenMetrics)."""
    encoder, content_type = choose_encoder(accept or "")
    registry = REGISTRY
    if MULTIPROCESS_ENV in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return encoder(registry), content_type
