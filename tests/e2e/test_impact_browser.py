"""The impact dashboard in a real browser: finance opens it from the navigation, reads a chart's table, and the
chart is drawn without JavaScript (server-side SVG) at phone width."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_finance_reads_the_co2e_chart_table_on_the_dashboard(page: Any, live_server: LiveServer) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/login")
    page.get_by_label("Username").fill("finance")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Impact", exact=True).click()
    expect(page).to_have_url(re.compile(r"/impact$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Impact \d{4}$"))

    # The demo's history puts replacements in earlier years: the table beside the CO2e chart lists them.
    page.get_by_label("Year", exact=True).fill("2025")
    page.get_by_role("button", name="Show").click()
    figure = page.locator("#chart-co2e_by_year")
    expect(figure.get_by_role("img")).to_have_attribute("aria-label", re.compile("Net CO2e avoided by year"))
    table = figure.get_by_role("table")
    expect(table.locator("caption")).to_contain_text("Net CO2e avoided by year of replacement")
    rows = table.locator("tbody tr")
    expect(rows.first).to_be_visible()
    years = [rows.nth(i).locator("th").inner_text() for i in range(rows.count())]
    assert years and years[-1] == "2025" and all(y.isdigit() for y in years)
    assert re.fullmatch(r"-?\d+\.\d", rows.last.locator("td").first.inner_text())
    # Drawn on the server: the bars are in the page's HTML, no script made them; the page fits 360 px.
    assert figure.locator("svg rect").count() >= len(years)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_role("link", name="PDF")).to_have_attribute(
        "href", re.compile(r"^/impact/report\.pdf\?year=2025")
    )
