"""``GET /metrics``: the Prometheus text format, for an admin's bearer token or a configured scraper address.

Anyone else gets 404, as if there were no such page: an address scanning the internet learns nothing about
what runs here. A signed-in user who is not an admin gets 403, as everywhere else in the app.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from prometheus_client import generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, Metric

from service.accounts.auth import bearer_principal
from service.accounts.permissions import Permission, can
from service.devices.models import STATUSES
from service.errors import Forbidden, NotFound
from service.i18n import _
from service.jobs.models import OUTCOMES
from service.metrics.instruments import live_registry
from service.metrics.repository import Snapshot, snapshot


class _SnapshotCollector:
    """Hands over figures already read: collect() is synchronous, the database is not."""

    def __init__(self, figures: Snapshot, currency: str, jobs: list[str]) -> None:
        self.figures, self.currency, self.jobs = figures, currency, jobs

    def collect(self) -> Iterator[Metric]:
        balance = GaugeMetricFamily(
            "kringloop_pool_balance_cents", "The pool's balance in minor units of the currency.", labels=["currency"]
        )
        balance.add_metric([self.currency], self.figures.pool_balance_cents)
        yield balance
        devices = GaugeMetricFamily("kringloop_devices", "Devices by lifecycle state.", labels=["status"])
        for status in STATUSES:
            devices.add_metric([status], self.figures.devices_by_status.get(status, 0))
        yield devices
        runs = GaugeMetricFamily(
            "kringloop_job_runs", "Recorded job runs by job and outcome (running: not finished).",
            labels=["job", "outcome"],
        )
        names = sorted({*self.jobs, *(job for job, _ in self.figures.job_runs)})
        for job in names:
            for outcome in OUTCOMES:
                runs.add_metric([job, outcome], self.figures.job_runs.get((job, outcome), 0))
        yield runs


def _allowed_address(request: Request[Any, Any, Any], networks: tuple[Any, ...]) -> bool:
    if not networks or request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in network for network in networks)


@get("/metrics", include_in_schema=False)
async def metrics(request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    settings = state.settings
    if not _allowed_address(request, settings.metrics_networks):
        principal = await bearer_principal(request)
        if principal is None:
            raise NotFound(_("There is nothing at this address."))
        if not can(principal.role, Permission.administer):
            raise Forbidden(
                _("Your role ({role}) may not read the metrics; an admin token may.").format(role=principal.role.value)
            )
    async with state.sessionmaker() as session:
        figures = await snapshot(session)
    database = CollectorRegistry(auto_describe=True)
    database.register(_SnapshotCollector(figures, settings.currency, list(state.jobs)))
    body = generate_latest(live_registry()) + generate_latest(database)
    # The text format generate_latest writes (litestar adds the charset).
    return Response(body, media_type="text/plain; version=0.0.4", headers={"Cache-Control": "no-store"})
