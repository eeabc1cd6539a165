"""Valuation in a real browser: finance opens a valued device, reads the estimate's breakdown, overrides the
credited amount with a reason, and sees the pool balance move by exactly the difference."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def _token(client: httpx.Client, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _valued_monitor(live_server: LiveServer) -> tuple[int, str]:
    """A monitor (no storage media) retired, attested, estimated and accepted: valued, its credit in the pool."""
    tag = f"E2E-V{uuid.uuid4().hex[:5].upper()}"
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        helpdesk, finance = _token(client, "helpdesk"), _token(client, "finance")
        models = client.get("/api/v1/device-models", headers=helpdesk, params={"limit": 100}).json()["items"]
        model = next(m for m in models if m["storage_media_count"] == 0)
        body = {"asset_tag": tag, "serial_number": f"{tag}-SN", "model_id": model["id"], "purchase_price": "329.00",
                "purchase_date": (date.today() - timedelta(days=400)).isoformat(), "condition_grade": "A"}  # fmt: skip
        device = client.post("/api/v1/devices", json=body, headers=helpdesk)
        assert device.status_code == 201, device.text
        device_id = device.json()["id"]
        retired = client.post(f"/api/v1/devices/{device_id}/retire", json={"reason": "Backlight flickers"},
                              headers=helpdesk)  # fmt: skip
        assert retired.status_code == 200, retired.text
        attested = client.post(f"/api/v1/devices/{device_id}/no-media-attestation",
                               json={"statement": "A monitor stores nothing."}, headers=helpdesk)  # fmt: skip
        assert attested.status_code == 201, attested.text
        estimate = client.post(f"/api/v1/devices/{device_id}/valuation", json={}, headers=finance)
        assert estimate.status_code == 201, estimate.text
        accepted = client.post(f"/api/v1/valuations/{estimate.json()['id']}/accept", headers=finance)
        assert accepted.status_code == 200, accepted.text
        return device_id, accepted.json()["amount"]


def _amount(text: str) -> Decimal:
    return Decimal(text.split()[-1].replace(",", "").lstrip("€"))


def test_finance_reads_the_breakdown_overrides_and_the_pool_follows(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    device_id, credited = _valued_monitor(live_server)
    sign_in(page, "finance")
    page.goto(f"/devices/{device_id}/valuation")
    expect(page.locator("#device-status")).to_have_text("valued")
    breakdown = page.get_by_role("table", name="Breakdown")
    expect(breakdown.get_by_role("rowheader", name="New price")).to_be_visible()
    expect(breakdown.get_by_role("rowheader", name="Age")).to_be_visible()
    before = _amount(page.locator("#pool-balance").inner_text())

    new_amount = Decimal(credited) + Decimal("12.50")
    page.get_by_text("Override this amount").click()
    page.get_by_label("Amount (EUR)").fill(f"{new_amount}")
    page.get_by_label("Reason").fill("Refurbisher quoted more for grade A monitors")
    page.get_by_role("button", name="Save override").click()

    expect(page.locator(".override")).to_contain_text("Refurbisher quoted more for grade A monitors")
    expect(page.locator(".override")).to_contain_text(f"estimate was €{credited}")
    expect(page.locator("#pool-balance")).to_have_text(f"€{before + Decimal('12.50'):,.2f}")
    page.goto("/pool")
    expect(page.locator("#pool-balance")).to_have_text(f"€{before + Decimal('12.50'):,.2f}")
    expect(page.get_by_role("cell", name="Refurbisher quoted more for grade A monitors").first).to_be_visible()
