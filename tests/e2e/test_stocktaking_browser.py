"""Stock-taking on a phone: a helpdesk user at 360 px starts an audit and types tags followed by Enter, as a
keyboard-wedge scanner does; the list updates without a reload and the field keeps the focus throughout."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def _devices(live_server: LiveServer, place: str) -> dict[str, str]:
    """Three devices at ``place`` and one elsewhere, registered over the API; tag by role."""
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        token = client.post("/api/v1/auth/token", json={"username": "helpdesk", "password": "demo"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        model = client.get("/api/v1/device-models", headers=headers, params={"limit": 1}).json()["items"][0]
        stem = uuid.uuid4().hex[:5].upper()
        tags = {}
        for role, location in (("a", place), ("b", place), ("c", place), ("elsewhere", "Somewhere else")):
            tag = f"ST-{stem}-{role.upper()}"
            bought = (date.today() - timedelta(days=200)).isoformat()
            body = {"asset_tag": tag, "serial_number": f"SN-{tag}", "model_id": model["id"], "location": location,
                    "purchase_date": bought, "purchase_price": "899.00"}  # fmt: skip
            response = client.post("/api/v1/devices", json=body, headers=headers)
            assert response.status_code == 201, response.text
            tags[role] = tag
        return tags


def test_audit_by_typing_tags_and_enter_at_360_px(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    place = f"Depot {uuid.uuid4().hex[:6]}"
    tags = _devices(live_server, place)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/login")
    page.get_by_label("Username").fill("helpdesk")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Stock-taking").click()

    page.get_by_label("Location to count").fill(place)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(place)
    field = page.get_by_label("Scan or type an asset tag or serial number")
    expect(field).to_be_focused()
    expect(page.locator("#figure-expected")).to_have_text("3")
    # A marker on the window survives only if no scan reloads the page.
    page.evaluate("window.__stillTheSamePage = true")

    def scan(term: str) -> None:
        # keyboard.type sends what a wedge scanner sends: the characters, then Enter.
        page.keyboard.type(term)
        page.keyboard.press("Enter")

    scan(tags["a"])
    expect(page.locator("#scan-message")).to_contain_text(f"{tags['a']} found")
    expect(page.locator("#scan-list li")).to_have_count(1)
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    scan(tags["b"].lower())
    expect(page.locator("#scan-list li")).to_have_count(2)
    expect(page.locator("#figure-found")).to_have_text("2")
    scan(tags["a"])
    expect(page.locator("#scan-message")).to_contain_text(f"{tags['a']} was already scanned")
    expect(page.locator("#scan-list li")).to_have_count(2)
    scan("NOT-A-TAG")
    expect(page.locator("#scan-message")).to_contain_text("NOT-A-TAG matches no device")
    expect(page.locator("#figure-unknown")).to_have_text("1")
    scan(tags["elsewhere"])
    expect(page.locator("#scan-message")).to_contain_text("is registered at Somewhere else, not here")
    expect(field).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("window.__stillTheSamePage") is True

    # One click moves the misplaced device here; the scanner can carry on at once.
    page.locator("#scan-message").get_by_role("button", name=re.compile("Move here")).click()
    expect(page.locator("#scan-message")).to_contain_text(f"{tags['elsewhere']} moved here")
    expect(page.locator("#figure-moved")).to_have_text("1")
    expect(field).to_be_focused()
    scan(tags["elsewhere"])
    expect(page.locator("#scan-message")).to_contain_text("already scanned")
    assert page.evaluate("window.__stillTheSamePage") is True

    page.get_by_role("button", name="Close the audit and see what is missing").click()
    expect(page.locator("#scan-message")).to_contain_text("Audit closed: 3 of 4 expected devices found, 1 missing.")
    missing = page.locator(f"#missing li:has-text('{tags['c']}')")
    expect(missing).to_have_count(1)
    missing.get_by_role("button", name="Report lost").click()
    expect(page.locator("#scan-message")).to_contain_text("1 missing device(s) reported lost.")
    expect(page.locator("#missing")).to_contain_text("Reported lost by helpdesk")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
