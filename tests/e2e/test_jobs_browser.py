"""An admin runs a job from the jobs page and sees its run recorded as theirs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import sign_in as _sign_in

pytestmark = pytest.mark.browser


def test_an_admin_runs_a_job_from_the_jobs_page(page: Any) -> None:
    from playwright.sync_api import expect

    _sign_in(page, "admin")
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_role("heading", name="Scheduled jobs", level=1)).to_be_visible()
    # import-files only tidies old upload reports: safe to run beside the other browser tests' demo data.
    page.get_by_role("button", name="Run import-files now").click()
    expect(page.get_by_role("status")).to_have_text("The import-files job ran; its outcome is the first row below.")
    section = page.locator("section[aria-labelledby=job-import-files]")
    first = section.locator("tbody tr").first
    expect(first).to_contain_text("succeeded")
    expect(first).to_contain_text("page:admin")
