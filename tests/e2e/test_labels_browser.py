"""Labels in a real browser: "Labels for these devices" under a filtered device list and "Print label" on the
device page give PDFs whose QR codes, decoded from the rendered page, open the device."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def _qr_codes(pdf: bytes) -> list[str]:
    import pypdfium2 as pdfium
    import zxingcpp

    codes: list[str] = []
    for page in pdfium.PdfDocument(pdf):
        codes += [r.text for r in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]
    return sorted(codes)


def _devices(live_server: LiveServer, stem: str) -> list[int]:
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        token = client.post("/api/v1/auth/token", json={"username": "helpdesk", "password": "demo"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        model = client.get("/api/v1/device-models", headers=headers, params={"limit": 1}).json()["items"][0]
        bought = (date.today() - timedelta(days=100)).isoformat()
        ids = []
        for n in range(2):
            body = {"asset_tag": f"{stem}-{n}", "model_id": model["id"], "purchase_date": bought,
                    "purchase_price": "499.00"}  # fmt: skip
            response = client.post("/api/v1/devices", json=body, headers=headers)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        return ids


def _pdf_of(page: Any, click: Any) -> bytes:
    """The PDF a form opens in a new tab (target=_blank), exactly as the server sent it to the browser (Chromium's
    viewer would otherwise stand between the test and the bytes)."""
    received: list[bytes] = []

    def keep(route: Any) -> None:
        response = route.fetch()
        assert response.headers["content-type"] == "application/pdf"
        received.append(response.body())
        route.fulfill(response=response)

    page.context.route("**/*label*", keep)
    with page.context.expect_page() as tab:
        click()
    tab.value.wait_for_load_state()
    page.context.unroute("**/*label*")
    assert len(received) == 1
    return received[0]


def test_labels_from_the_list_and_the_device_page(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    stem = f"LB{uuid.uuid4().hex[:5].upper()}"
    ids = _devices(live_server, stem)
    base = live_server.settings.base_url
    page.goto("/login")
    page.get_by_label("Username").fill("helpdesk")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()

    page.goto("/devices")
    page.get_by_label("Search").fill(stem)
    expect(page.locator(".results-summary")).to_contain_text("2 devices")
    pdf = _pdf_of(page, lambda: page.get_by_role("button", name="Labels for these devices").click())
    assert _qr_codes(pdf) == sorted(f"{base}/devices/{i}" for i in ids)

    page.goto(f"/devices/{ids[0]}")
    page.get_by_label("Label stock").select_option("roll-62")
    pdf = _pdf_of(page, lambda: page.get_by_role("button", name="Print label").click())
    assert _qr_codes(pdf) == [f"{base}/devices/{ids[0]}"]
