"""A donation's whole way in a real browser: finance runs the donation job and submits a draft, finance2 approves
it, finance marks it paid, and the charity signs in, downloads the statement PDF and acknowledges receipt."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def _switch_to(page: Any, username: str) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    sign_in(page, username)


def test_a_donation_from_the_run_to_the_charitys_acknowledgement(page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    sign_in(page, "finance")
    page.get_by_role("link", name="Donations", exact=True).click()
    expect(page.get_by_role("heading", name="Donations", level=1)).to_be_visible()
    available = page.locator("#pool-unallocated")
    expect(available).not_to_have_text("€0.00")  # the demo leaves valued devices waiting for this run
    page.get_by_role("button", name="Run donations now").click()
    expect(page.get_by_role("status")).to_contain_text("The donation run drafted 2 donation(s)")
    expect(available).to_have_text("€0.00")

    pending = page.locator("section[aria-labelledby=pending-heading] tr", has_text="Stichting Digitale Brug")
    pending.get_by_role("link").click()
    expect(page.locator("#donation-status")).to_have_text("Draft")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator("#donation-status")).to_have_text("Waiting for approval")
    expect(page.get_by_text("You submitted this donation")).to_be_visible()
    donation_url = page.url
    amount = page.locator("#donation-amount").inner_text()

    _switch_to(page, "finance2")
    page.goto(donation_url)
    page.get_by_role("button", name=f"Approve {amount}").click()
    expect(page.locator("#donation-status")).to_have_text("Approved, to be paid")
    expect(page.get_by_role("cell", name=re.compile("current"))).to_be_visible()

    _switch_to(page, "finance")
    page.goto(donation_url)
    page.get_by_label("Payment reference").fill("SEPA 2026-Q4-E2E")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator("#donation-status")).to_have_text("Paid")

    _switch_to(page, "charity")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Our donations").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).filter(has_text=donation_url.rsplit("/", 1)[1]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(amount)
    with page.expect_download() as download:
        page.locator("section[aria-labelledby=statements-heading]").get_by_role("link", name="PDF").first.click()
    saved = tmp_path / "statement.pdf"
    download.value.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF")
    # The SHA-256 listed beside the statement is the downloaded file's.
    expect(page.locator("section[aria-labelledby=statements-heading]")).to_contain_text(hashlib.sha256(pdf).hexdigest())
    page.get_by_role("button", name="Acknowledge receipt").click()
    expect(page.locator("#donation-status")).to_have_text("Acknowledged")
    expect(page.get_by_text("You acknowledged receipt")).to_be_visible()
