"""The process's own counters, and the registry a scrape reads them from.

Module-level, as prometheus_client intends: a counter belongs to the process, not to one app object, and in
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by ``kringloop serve --workers N``) every worker writes
its values to a file in that directory, which any worker sums when it is scraped.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from service.imports.service import ImportSummary

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Our own registry, not prometheus_client's global one, so nothing a library registers leaks into the page.
PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "kringloop_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=PROCESS_REGISTRY,
)
HTTP_LATENCY = Histogram(
    "kringloop_http_request_duration_seconds",
    "Time from request to the end of the response, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=PROCESS_REGISTRY,
)
IMPORT_ROWS = Counter(
    "kringloop_import_rows",
    "Device-import rows by outcome (created, updated, unchanged, error), of imports run by this app (API and "
    "upload page; dry runs are not counted).",
    ["outcome"],
    registry=PROCESS_REGISTRY,
)


def count_import(summary: ImportSummary) -> None:
    if summary.dry_run:
        return
    for outcome in ("created", "updated", "unchanged"):
        IMPORT_ROWS.labels(outcome).inc(getattr(summary, outcome))
    IMPORT_ROWS.labels("error").inc(summary.errors)


def live_registry() -> CollectorRegistry:
    """Every worker's counters in multiprocess mode, else this process's."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return PROCESS_REGISTRY
