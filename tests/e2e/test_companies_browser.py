"""Companies in a real browser: an admin adds one on /admin/companies, and a device registered for it shows it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_company_and_registers_a_device_for_it(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    sign_in(page, "admin")
    name = f"E2E Zorg {uuid.uuid4().hex[:6].upper()}"
    page.get_by_role("link", name="Companies", exact=True).click()
    expect(page.get_by_role("heading", name="Companies", level=1)).to_be_visible()

    # A refused form keeps what was typed and says what is wrong beside the field.
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("KvK number").fill("1234")
    page.get_by_role("button", name="Add company").click()
    expect(page.locator("#kvk_number-error")).to_contain_text("8 digits")
    expect(page.get_by_label("KvK number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name", exact=True)).to_have_value(name)

    page.get_by_label("Legal name").fill(f"{name} B.V.")
    page.get_by_label("Address").fill("Zorgpad 8, 3521 AZ Utrecht")
    page.get_by_label("KvK number").fill("71234568")
    page.get_by_label("RSIN").fill("856712346")
    page.get_by_role("button", name="Add company").click()
    expect(page).to_have_url(re.compile(r"/admin/companies\?done=added$"))
    expect(page.get_by_role("status")).to_contain_text("Company added.")
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text(f"{name} B.V.")

    asset_tag = f"E2E-CO-{uuid.uuid4().hex[:6].upper()}"
    page.get_by_role("link", name="Register device").first.click()
    expect(page.get_by_role("heading", name="Register a device")).to_be_visible()
    page.get_by_label("Asset tag").fill(asset_tag)
    page.get_by_label("Model").select_option(label="Dell Latitude 5440")
    page.get_by_label("Purchase date").fill(datetime.now(live_server.settings.tz).date().isoformat())
    page.get_by_label("Purchase price").fill("999.00")
    page.get_by_label("Company", exact=True).select_option(label=name)
    page.get_by_label("Cost centre").fill("ICT")
    page.get_by_role("button", name="Register device").click()
    expect(page).to_have_url(re.compile(r"/devices/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(asset_tag)
    expect(page.locator("#device-company")).to_have_text(name)
    expect(page.locator("#device-cost-centre")).to_have_text("ICT")

    # The list, filtered by the new company (htmx on change), shows the device with its company.
    page.get_by_role("link", name="Devices", exact=True).click()
    page.get_by_label("Company", exact=True).select_option(label=name)
    expect(page).to_have_url(re.compile(r"company_id=\d+"))
    rows = page.locator("#device-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(asset_tag)
    expect(rows.first).to_contain_text(name)
