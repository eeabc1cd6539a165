"""Custom fields in a real browser: an admin adds one, a helpdesk user fills it in, the device list filters by it."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.conftest import sign_in as _sign_in

pytestmark = pytest.mark.browser


def test_admin_adds_a_field_helpdesk_fills_it_and_the_list_filters(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    name = f"Lease contract {uuid.uuid4().hex[:4]}"
    _sign_in(page, "admin")
    page.get_by_role("link", name="Fields").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Type").select_option(label="Text")
    page.get_by_label("Unique (no two devices share a value)").check()
    page.get_by_role("button", name="Add field").click()
    expect(page.get_by_role("status")).to_have_text("Field added.")
    expect(page.get_by_role("table")).to_contain_text(name)
    page.get_by_role("button", name=re.compile("Sign out")).click()

    _sign_in(page, "helpdesk")
    page.goto("/devices?status=in_stock")
    page.locator("#device-results tbody tr a").first.click()
    device_url = page.url
    tag = page.get_by_role("heading", level=1).inner_text()
    page.get_by_text("Change these").click()
    page.get_by_label(name).fill("LC-2026-042")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator("#custom-fields")).to_contain_text("LC-2026-042")

    page.goto("/devices")
    page.get_by_label("Field").select_option(label=name)
    page.get_by_label("is", exact=True).fill("lc-2026-042")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#device-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(tag.split()[0])
    rows.first.locator("a").first.click()
    expect(page).to_have_url(device_url)
