"""Fault-based replacement in a real browser: report a fault, diagnose it, read the policy's decision, retire the
device and register its successor for the same person, all from the device page."""

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


def _device_in_use(live_server: LiveServer) -> tuple[int, str, str]:
    """A laptop bought a year ago, held by an active employee of the demo organisation (set up over the API)."""
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        token = client.post("/api/v1/auth/token", json={"username": "helpdesk", "password": "demo"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        model = next(m for m in client.get("/api/v1/device-models", headers=headers, params={"limit": 100})
                     .json()["items"] if m["category"] == "laptop")  # fmt: skip
        holder = client.get("/api/v1/employees", headers=headers, params={"limit": 1}).json()["items"][0]
        tag = f"E2E-F{uuid.uuid4().hex[:5].upper()}"
        body = {"asset_tag": tag, "serial_number": f"SN-{tag}", "model_id": model["id"],
                "purchase_date": (date.today() - timedelta(days=365)).isoformat(), "purchase_price": "1299.00",
                "holder_id": holder["id"]}  # fmt: skip
        response = client.post("/api/v1/devices", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()["id"], tag, holder["name"]


def test_fault_diagnosis_decision_retirement_and_successor(page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    device_id, asset_tag, holder = _device_in_use(live_server)
    sign_in(page, "helpdesk")

    # Find the device the way helpdesk does: from the fault queue, by its asset tag.
    page.get_by_role("link", name="Faults", exact=True).click()
    page.get_by_label(re.compile("Go to a device")).fill(asset_tag)
    page.get_by_role("button", name="Open").click()
    expect(page).to_have_url(re.compile(rf"/devices/{device_id}$"))
    expect(page.locator("#device-holder")).to_have_text(holder)
    # The value a repair is weighed against: the market value of a working unit, from the valuation policy.
    worth = (
        r"market value: EUR 1299\.00 new, 1[12] months old, laptop retention [\d.]+ %, "
        # Not raw: the browser runs the pattern as a JavaScript regular expression, which has no \N{...}.
        "grade A \N{MULTIPLICATION SIGN}1\\.00, valuation policy v\\d+"
    )
    expect(page.locator("#working-value")).to_contain_text(re.compile(worth))

    # Report a fault (the browser itself insists on a description).
    page.get_by_text("Report a fault").click()
    page.get_by_label("What is broken").select_option(label="Mainboard")
    page.get_by_label("Severity").select_option("high")
    page.get_by_role("button", name="Report fault").click()  # the browser stops it: the description is required
    expect(page.get_by_label("What happens")).to_have_js_property("validity.valid", False)
    page.get_by_label("What happens").fill("Does not power on after a drop from the desk")
    page.get_by_role("button", name="Report fault").click()
    fault = page.locator("article.fault")
    expect(fault).to_have_count(1)
    expect(fault).to_contain_text("Mainboard")
    expect(fault).to_contain_text("Awaiting diagnosis")

    # The diagnosis: repairable without an estimate is refused; not repairable lets the policy decide.
    fault.get_by_role("radio", name="Yes").check()
    fault.get_by_role("button", name="Save diagnosis").click()
    cost = page.get_by_label(re.compile("Estimated repair cost"))
    expect(cost).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[id$='-cost-error']")).to_contain_text("estimate")
    page.get_by_role("radio", name="No").check()
    page.get_by_label("Notes").fill("Board cracked near the power connector")
    page.get_by_role("button", name="Save diagnosis").click()
    expect(page.locator(".decision-value")).to_have_text("Replace")
    reasons = page.locator("ul.reasons")
    expect(reasons).to_contain_text("Diagnosed as not repairable")
    expect(reasons).to_contain_text(re.compile(rf"Value as a working unit: EUR \d+\.\d\d \({worth}\)\."))
    expect(page.locator("#replace-note")).to_contain_text("is to replace this device")

    # Retire it with the device page's own action; the fault closes with it.
    page.locator("#replace-note").get_by_role("link", name="Retire it").click()
    page.get_by_label("Why is it retired?").fill("Mainboard beyond repair (policy: replace)")
    page.get_by_role("button", name="Retire device").click()
    expect(page.locator("#device-status")).to_contain_text("Retired")
    expect(page.locator("#closed-heading")).to_be_visible()
    expect(page.get_by_text("Device retired")).to_be_visible()

    # One step: the successor goes to the person who held the retired device.
    successor_form = page.locator("#successor-form")
    expect(successor_form).to_contain_text(holder)
    new_tag = f"{asset_tag}-N"
    successor_form.get_by_label("Asset tag").fill(new_tag)
    successor_form.get_by_label("Serial number").fill(f"SN-{new_tag}")
    successor_form.get_by_label(re.compile("Purchase price")).fill("1349,00")
    successor_form.get_by_role("button", name="Register successor").click()
    expect(page).to_have_url(re.compile(r"/devices/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(new_tag)
    expect(page.locator("#device-status")).to_contain_text("In use")
    expect(page.locator("#device-holder")).to_have_text(holder)
    expect(page.get_by_role("link", name=asset_tag)).to_be_visible()  # "Replaces" the retired device
    page.screenshot(path=str(tmp_path / "successor.png"), full_page=True)

    # The lifetime page counts the retirement, with its successor.
    page.get_by_role("link", name="Lifetimes").click()
    expect(page.get_by_role("row", name=re.compile(asset_tag))).to_contain_text("12")
