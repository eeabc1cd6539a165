"""GET /metrics: Prometheus text, by route template; for an admin token or an allowed scraper address only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, seed_device, seed_model
from tests.integration.import_helpers import csv_text

LAPTOP = "Dell,Latitude 5440,laptop,2024-03-01"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return make_settings(database.url, import_dir=tmp_path / "imports")


async def test_an_admin_token_reads_requests_by_route_template_and_the_database_figures(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    before = (await api.get("admin", "/metrics")).text
    # Two different ids (one missing) are one route template, counted by status.
    assert (await api.get("helpdesk", f"/api/v1/devices/{device['id']}")).status_code == 200
    assert (await api.get("helpdesk", "/api/v1/devices/999999")).status_code == 404
    imported = await api.post("helpdesk", "/api/v1/imports/devices", content=csv_text(
        f"KL-1,SN1,{LAPTOP},1249.00", f'KL-2,SN2,{LAPTOP},"1,234"', f"KL-3,SN3,{LAPTOP},99"),
        headers={"Content-Type": "text/csv"})  # fmt: skip
    assert imported.status_code == 200
    assert (await api.post("admin", "/api/v1/jobs/revalue/run")).status_code == 200

    response = await api.get("admin", "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    after = response.text
    route = "/api/v1/devices/{device_id}"
    for status in ("200", "404"):
        labels = {"method": "GET", "route": route, "status": status}
        assert value(after, "kringloop_http_requests_total", **labels) - value(
            before, "kringloop_http_requests_total", **labels
        ) == 1
        assert value(after, "kringloop_http_request_duration_seconds_count", **labels) - value(
            before, "kringloop_http_request_duration_seconds_count", **labels
        ) == 1
    assert f"/api/v1/devices/{device['id']}" not in after  # never the raw path
    in_stock = (await api.get("helpdesk", "/api/v1/devices", params={"status": "in_stock"})).json()["items"]
    assert len(in_stock) >= 2 and value(after, "kringloop_devices", status="in_stock") == len(in_stock)
    assert value(after, "kringloop_devices", status="wiped") == 0
    assert value(after, "kringloop_pool_balance_cents", currency="EUR") == 0
    assert value(after, "kringloop_job_runs", job="revalue", outcome="succeeded") == 1
    assert value(after, "kringloop_job_runs", job="donations", outcome="failed") == 0
    summary = imported.json()["summary"]
    assert summary["created"] >= 1 and summary["errors"] >= 1
    for outcome, key in (("created", "created"), ("error", "errors"), ("updated", "updated")):
        n = summary[key]
        assert value(after, "kringloop_import_rows_total", outcome=outcome) - value(
            before, "kringloop_import_rows_total", outcome=outcome
        ) == n


async def test_without_an_admin_token_metrics_are_not_there(api: Api) -> None:
    anonymous = await api.client.get("/metrics")
    nothing = await api.client.get("/no-such-page")
    # The same answer as for an address where nothing is.
    assert anonymous.status_code == nothing.status_code == 404
    assert anonymous.headers["content-type"] == nothing.headers["content-type"] == "text/html; charset=utf-8"
    forged = await api.client.get("/metrics", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 404
    helpdesk = await api.get("helpdesk", "/metrics")
    assert helpdesk.status_code == 403 and "may not read the metrics; an admin token may" in helpdesk.text
    assert (await api.get("finance", "/metrics")).status_code == 403


@pytest.mark.parametrize(
    ("allowed", "status"), [("127.0.0.1", 200), ("10.0.0.0/8, 127.0.0.0/30", 200), ("10.0.0.0/8", 404)]
)
async def test_an_allowed_scraper_address_needs_no_token(database: Database, allowed: str, status: int) -> None:
    import httpx

    from service.app import create_app

    app = create_app(make_settings(database.url, metrics_allowed_ips=allowed))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get("/metrics")
    finally:
        await app.state.engine.dispose()
    assert response.status_code == status
    if status == 200:
        assert "kringloop_devices" in response.text


def test_a_malformed_allowed_address_stops_the_start() -> None:
    expected = "KRINGLOOP_METRICS_ALLOWED_IPS: 'ten.0.0.1' does not appear to be an IPv4"
    with pytest.raises(ValueError, match=re.escape(expected)):
        make_settings("sqlite+aiosqlite:///:memory:", metrics_allowed_ips="10.0.0.1, ten.0.0.1")

