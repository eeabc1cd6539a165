"""The device pages in a real browser: register, assign, find it again; and how the list looks at 360 px."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer, sign_in

pytestmark = pytest.mark.browser


def test_register_assign_and_find_a_device(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    sign_in(page)
    asset_tag = f"E2E-{uuid.uuid4().hex[:6].upper()}"
    today = datetime.now(live_server.settings.tz).date().isoformat()

    # Register: a refused form keeps what was typed and says what is wrong beside the field.
    page.get_by_role("link", name="Register device").first.click()
    expect(page.get_by_role("heading", name="Register a device")).to_be_visible()
    page.get_by_label("Asset tag").fill(asset_tag)
    page.get_by_label("Serial number").fill(f"SN{asset_tag}")
    page.get_by_label("Model").select_option(label="Dell Latitude 5440")
    page.get_by_label("Purchase date").fill(today)
    page.get_by_label("Purchase price").fill("12.345")
    page.get_by_label("Supplier").fill("Centralpoint")
    page.get_by_role("button", name="Register device").click()
    expect(page.get_by_role("alert")).to_contain_text("The device was not registered")
    price = page.get_by_label("Purchase price")
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#purchase_price-error")).to_contain_text("up to two decimals")
    expect(page.get_by_label("Asset tag")).to_have_value(asset_tag)

    price.fill("1234.50")
    page.get_by_role("button", name="Register device").click()
    expect(page).to_have_url(re.compile(r"/devices/\d+$"))
    device_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(asset_tag)
    expect(page.locator("#device-status")).to_contain_text("In stock")
    expect(page.locator("#device-price")).to_have_text("€1,234.50")
    expect(page.locator(".device-history")).to_contain_text("Registered")

    # Assign it to the first active employee in the list.
    employee = page.get_by_label("Employee", exact=True)
    employee.select_option(index=1)
    holder = employee.locator("option:checked").inner_text().split(" · ")[0].strip()
    assert holder
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page).to_have_url(re.compile(r"/devices/\d+\?done=assign$"))
    expect(page.locator("#device-status")).to_have_text("In use")
    expect(page.locator("#device-holder")).to_have_text(holder)
    expect(page.get_by_role("status").first).to_contain_text("Assigned")
    expect(page.locator(".device-history li").last).to_contain_text("Assigned")
    expect(page.locator(".device-history li").last).to_contain_text("by helpdesk")
    # Only the moves allowed now are offered.
    expect(page.get_by_role("button", name="Assign", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Unassign")).to_be_visible()

    # The same form sent again from the page as it was (back button): refused beside the form, nothing changed.
    page.go_back()
    expect(page.locator("#device-status")).to_have_text("In stock")
    page.get_by_label("Employee", exact=True).select_option(index=2)
    page.get_by_role("button", name="Assign", exact=True).click()
    alert = page.locator("#assign-error")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text("changed by someone else")
    expect(page.locator("#device-status")).to_have_text("In use")
    expect(page.locator("#device-holder")).to_have_text(holder)
    expect(page.locator(".device-history li")).to_have_count(2)

    # The list: typing filters live (htmx) and the address keeps the search.
    page.get_by_role("link", name="Devices", exact=True).click()
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    rows = page.locator("#device-results tbody tr")
    expect(rows).to_have_count(50)
    page.get_by_label("Search").fill(asset_tag)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(asset_tag)
    expect(rows.first).to_contain_text(holder)
    expect(rows.first).to_contain_text("In use")
    expect(page).to_have_url(re.compile(rf"[?&]q={asset_tag}"))
    page.get_by_label("Search").fill("no-such-device-zzz")
    expect(page.get_by_text("No devices match")).to_be_visible()

    # The same list at phone width: nothing sticks out sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/devices?status=in_use")
    expect(rows.first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/devices-360.png")
    page.goto(device_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/device-page.png", full_page=True)


def test_device_list_works_without_javascript(browser: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/devices")
        page.get_by_label("Status").select_option(label="In repair")
        page.get_by_label("Search").fill("KL-")
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(r"status=in_repair"))
        rows = page.locator("#device-results tbody tr")
        expect(rows.first).to_be_visible()
        for badge in rows.locator(".badge").all_inner_texts():
            assert badge == "In repair"
        next_link = page.get_by_role("link", name="Next page")
        if next_link.count():
            next_link.click()
            expect(page).to_have_url(re.compile(r"cursor="))
    finally:
        context.close()
