"""The device import page in a real browser: upload a file with one bad row, read the report, find the devices."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_upload_a_file_read_the_report_and_find_the_devices(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    prefix = f"IMP-{uuid.uuid4().hex[:5].upper()}"
    csv_file = tmp_path / "fleet.csv"
    csv_file.write_text(
        "Asset Tag;Serial Number;Manufacturer;Model;Category;Purchase Date;Purchase Cost;Location\r\n"
        f"{prefix}-1;{prefix}S1;Dell;Latitude 5440;Laptops;2024-03-01;1.249,00;Utrecht\r\n"
        f"{prefix}-2;{prefix}S2;Dell;Latitude 5440;Laptops;31-13-2024;999,00;Utrecht\r\n"
        f"{prefix}-3;{prefix}S3;Apple;iPhone 15;Phones;05-04-2024;969;Amsterdam\r\n",
        encoding="utf-8",
    )
    sign_in(page)
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import devices")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_label("Format").select_option(value="kringloop")
    page.get_by_role("button", name="Import").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    summary = page.locator("#summary-heading")
    expect(summary).to_contain_text("2 of 3 rows imported, 1 refused")
    expect(page.locator("#count-created")).to_have_text("2")
    refused = page.locator("#refused-rows tbody tr")
    expect(refused).to_have_count(1)
    expect(refused.first).to_contain_text(f"{prefix}-2")
    expect(refused.first).to_contain_text("purchase_date")
    expect(page.get_by_role("link", name=re.compile("Download the report"))).to_be_visible()

    # The narrow phone width: the report fits.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="See the devices").click()
    page.get_by_label("Search").fill(prefix)
    rows = page.locator("#device-results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=f"{prefix}-1")).to_contain_text("In stock")
    expect(rows.filter(has_text=f"{prefix}-3")).to_contain_text("iPhone 15")
