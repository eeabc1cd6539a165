"""A Dutch user in a real browser: the header's switcher, then the device list in Dutch with Dutch formats."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser

DUTCH_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"


def test_a_dutch_user_sees_the_device_list_in_dutch(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/login")  # Chromium asks for en-US: the sign-in page is English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Username").fill("auditor")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Nederlands").click()  # saved in the auditor's profile
    try:
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        page.get_by_role("link", name="Apparaten").first.click()
        expect(page.get_by_role("heading", name="Apparaten")).to_be_visible()
        expect(page.get_by_role("columnheader", name="Gebruiker")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text(re.compile(r"\d+ apparaten"))
        # Dates in Dutch: "1 maart 2024", not "01 Mar 2024".
        bought = page.locator("table.device-table tbody tr td").nth(5)
        expect(bought).to_have_text(re.compile(rf"^\d{{1,2}} ({DUTCH_MONTHS}) \d{{4}}$"))
        page.locator("table.device-table tbody a").first.click()
        # Money in Dutch: "€ 1.249,00" (a no-break space after the sign, a comma before the cents).
        expect(page.locator("#device-price")).to_have_text(re.compile(r"^€\u00a0\d{1,3}(\.\d{3})*,\d{2}$"))
        expect(page.get_by_role("heading", name="Geschiedenis", exact=True)).to_be_visible()
    finally:
        page.get_by_role("button", name="English").click()  # leave the shared demo user as the other tests expect
    expect(page.locator("html")).to_have_attribute("lang", "en")
