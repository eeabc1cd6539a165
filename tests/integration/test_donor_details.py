"""Outside demo mode no donation is approved while the donor's details are incomplete: its statement would be."""

from __future__ import annotations

from typing import Any

import pytest

from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, count, ui_login
from tests.integration.donation_helpers import credit, run, set_shares

pytestmark = pytest.mark.usefixtures("api")

MISSING = [
    {"field": "KRINGLOOP_DONOR_ADDRESS", "message": "the donor's address is not set"},
    {
        "field": "KRINGLOOP_DONOR_RSIN",
        "message": "this is not a valid RSIN (it fails the eleven-test); check for a typo",
    },
]


@pytest.fixture
def settings(database: Database) -> Settings:
    # An address left out and an RSIN with a typo (123456782 is valid; 123456789 fails the eleven-test).
    return make_settings(database.url, donor_address="", donor_rsin="123456789")


async def _submitted(api: Api) -> dict[str, Any]:
    await credit(api, 1, "60.00")
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    submitted = await api.post("finance", f"/api/v1/donations/{draft['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


async def test_approval_is_refused_naming_each_missing_field_and_changes_nothing(api: Api) -> None:
    donation = await _submitted(api)
    audit_before = await count(api.app, "audit_records")
    response = await api.post("finance2", f"/api/v1/donations/{donation['id']}/approve")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "/problems/donor-details-missing"
    assert body["errors"] == MISSING
    assert body["detail"] == (
        "A donation statement needs the donor's details, and these are missing or wrong: "
        "the donor's address is not set (KRINGLOOP_DONOR_ADDRESS); "
        "this is not a valid RSIN (it fails the eleven-test); check for a typo (KRINGLOOP_DONOR_RSIN). "
        "An administrator sets them in the installation's settings; then try again."
    )
    after = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()
    assert after["status"] == "submitted"
    assert await count(api.app, "donation_approvals") == 0
    assert await count(api.app, "statements") == 0
    assert await count(api.app, "audit_records") == audit_before
    assert (await api.get("finance", "/api/v1/pool")).json()["balance"] == "60.00"


async def test_the_donation_page_lists_what_is_missing_and_refuses_the_approval(api: Api) -> None:
    donation = await _submitted(api)
    csrf = await ui_login(api, "finance2")
    page = await api.client.get(f"/donations/{donation['id']}")
    assert 'id="donor-problems"' in page.text and "KRINGLOOP_DONOR_ADDRESS" in page.text
    refused = await api.client.post(f"/donations/{donation['id']}/approve", data={"_csrf_token": csrf})
    assert refused.status_code == 409
    assert "A donation statement needs the donor&#39;s details" in refused.text
    assert await count(api.app, "donation_approvals") == 0
