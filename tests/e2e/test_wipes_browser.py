"""The wipe gate in a real browser: helpdesk uploads a Blancco report of a crypto-erase purge of a retired
laptop's SSD; helpdesk cannot verify its own upload; helpdesk2 verifies it and the laptop becomes wiped."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser
REPORT = Path(__file__).parent.parent / "fixtures" / "wipes" / "blancco_laptop_ssd_purge.xml"
REPORT_SERIAL, REPORT_DISK = "DL5440-7H2K9Q3", "S6PTNM0T612345"


def _retired_laptop(live_server: LiveServer) -> tuple[int, str, str, str]:
    """A laptop with one SSD (serial unknown), retired; set up over the API with its own serials."""
    tag = f"E2E-W{uuid.uuid4().hex[:5].upper()}"
    serial, disk = f"{tag}-PC", f"{tag}-SSD"
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        token = client.post("/api/v1/auth/token", json={"username": "helpdesk", "password": "demo"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        models = client.get("/api/v1/device-models", headers=headers, params={"limit": 100}).json()["items"]
        model = next(m for m in models if m["category"] == "laptop" and m["storage_media_type"] == "ssd")
        body = {"asset_tag": tag, "serial_number": serial, "model_id": model["id"], "purchase_price": "1249.00",
                "purchase_date": (date.today() - timedelta(days=3 * 365)).isoformat()}  # fmt: skip
        device = client.post("/api/v1/devices", json=body, headers=headers)
        assert device.status_code == 201, device.text
        device_id = device.json()["id"]
        retired = client.post(f"/api/v1/devices/{device_id}/retire", json={"reason": "Mainboard failure"},
                              headers=headers)  # fmt: skip
        assert retired.status_code == 200, retired.text
    return device_id, tag, serial, disk


def test_upload_a_purge_report_verify_with_four_eyes_and_the_laptop_is_wiped(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    device_id, tag, serial, disk = _retired_laptop(live_server)
    report = tmp_path / f"blancco-{tag}.xml"
    report.write_bytes(REPORT.read_bytes().replace(REPORT_SERIAL.encode(), serial.encode())
                       .replace(REPORT_DISK.encode(), disk.encode()))  # fmt: skip

    sign_in(page, "helpdesk")
    page.goto(f"/devices/{device_id}")
    section = page.locator("#wipes")
    expect(section.get_by_role("heading", name="Storage media and wipe certificates")).to_be_visible()
    expect(section.locator("#wipe-gate")).to_contain_text("has no verified wipe certificate")
    expect(section.locator("table.wipe-media")).to_contain_text("Needs a certificate")

    section.get_by_label("Report file").set_input_files(str(report))
    section.get_by_label("Where it goes next").first.select_option("external_reuse")
    section.get_by_role("button", name="Upload report").click()
    expect(page.locator("#wipes .device-notice")).to_contain_text("Report recorded")
    media = page.locator("table.wipe-media")
    expect(media).to_contain_text(disk)  # the report named the SSD's serial
    expect(media).to_contain_text("Awaiting verification")
    certificates = page.locator("table.wipe-certificates")
    expect(certificates).to_contain_text("purge")
    expect(certificates).to_contain_text("You recorded it")
    expect(certificates.get_by_role("button", name=re.compile("Verify"))).to_have_count(0)
    expect(page.locator("#device-status")).to_contain_text("Retired")
    page.screenshot(path=str(tmp_path / "wipes-uploaded.png"), full_page=True)

    page.get_by_role("button", name=re.compile("Sign out")).click()
    sign_in(page, "helpdesk2")
    page.goto(f"/devices/{device_id}")
    verify = page.locator("table.wipe-certificates").get_by_role("button", name=re.compile(r"Verify #\d+"))
    expect(verify).to_have_count(1)
    verify.click()
    expect(page.locator("#device-status")).to_contain_text("Wiped")
    expect(page.locator("#wipes .device-notice")).to_contain_text("passed the wipe gate and is now wiped")
    expect(page.locator("#wipe-gate")).to_contain_text("Passed the wipe gate")
    expect(page.locator("table.wipe-media")).to_contain_text("Sanitized")
    expect(page.locator(".device-history")).to_contain_text("Wiped")
    page.screenshot(path=str(tmp_path / "wipes-wiped.png"), full_page=True)

    # The certificate page names both people and offers the report file for download.
    page.locator("table.wipe-certificates").get_by_role("link", name=re.compile(r"#\d+")).first.click()
    expect(page.locator("#certificate-status")).to_contain_text("Verified")
    expect(page.locator("#certificate-reviewer")).to_contain_text("helpdesk2")
    expect(page.locator("#certificate-method")).to_contain_text("Purge")
    page.screenshot(path=str(tmp_path / "wipes-certificate.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"blancco-{tag}.xml").click()
    assert Path(download_info.value.path()).read_bytes() == report.read_bytes()

    # At 360 px the section still reads without sideways scrolling of the page itself.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"/devices/{device_id}#wipes")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    page.screenshot(path=str(tmp_path / "wipes-narrow.png"), full_page=True)
