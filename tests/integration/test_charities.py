"""Charities admin: registration numbers, delivery settings, secrets, and shares set together."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Api, count
from tests.integration.donation_helpers import CHARITY, SECOND

pytestmark = pytest.mark.usefixtures("api")

VALID = {
    "name": "Stichting Laptop Bank",
    "kvk_number": "41234567",
    "rsin": "123456782",
    "anbi_status": "anbi",
    "anbi_checked_on": "2026-10-01",
    "contact_name": "Femke Visser",
    "contact_email": "femke@laptopbank.example",
    "address": "Lange Voorhout 1, 2514 EA Den Haag",
    "minimum_donation": "250.00",
    "cost_per_device": "180.00",
    "webhook_url": "https://laptopbank.example/kringloop",
}


async def test_admin_adds_a_charity_and_its_webhook_secret_is_shown_once(api: Api) -> None:
    assert (await api.post("finance", "/api/v1/charities", VALID)).status_code == 403
    created = await api.post("admin", "/api/v1/charities", VALID)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["share"] == "0.00" and body["minimum_donation"] == "250.00" and body["cost_per_device"] == "180.00"
    assert body["webhook_secret"].startswith("whsec_") and body["webhook_secret_set"] is True
    again = (await api.get("admin", f"/api/v1/charities/{body['id']}")).json()
    assert again["webhook_secret"] is None and again["webhook_secret_set"] is True
    # The secret never reaches the audit trail.
    audit = (await api.get("admin", f"/api/v1/audit?entity_type=charity&entity_id={body['id']}")).json()["items"]
    assert audit and all(body["webhook_secret"] not in str(a) for a in audit)
    rotated = await api.patch(
        "admin", f"/api/v1/charities/{body['id']}", {"version": again["version"], "rotate_webhook_secret": True}
    )
    assert rotated.status_code == 200 and rotated.json()["webhook_secret"] not in (None, body["webhook_secret"])
    assert rotated.json()["version"] == again["version"] + 1
    stale = await api.patch("admin", f"/api/v1/charities/{body['id']}", {"version": again["version"], "name": "X y"})
    assert stale.status_code == 409
    duplicate = await api.post("admin", "/api/v1/charities", VALID)
    assert duplicate.status_code == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rsin", "123456789"),  # fails the eleven-test
        ("rsin", "12345"),
        ("kvk_number", "1234"),
        ("webhook_url", "http://charity.example/hook"),  # plain http only to 127.0.0.1
        ("webhook_url", "ftp://charity.example"),
        ("webhook_secret", "not-a-secret"),
        ("minimum_donation", "12.345"),
        ("anbi_status", "maybe"),
        ("share_bp", 5000),  # shares are set together, not per charity
    ],
)
async def test_bad_charity_data_is_refused_and_changes_nothing(api: Api, field: str, value: object) -> None:
    before = await count(api.app, "charities")
    response = await api.post("admin", "/api/v1/charities", {**VALID, field: value})
    assert response.status_code == 422, response.text
    assert await count(api.app, "charities") == before


async def test_shares_are_set_together_and_must_make_100_percent(api: Api) -> None:
    def body(a: str, b: str) -> dict[str, object]:
        return {"shares": [{"charity_id": CHARITY, "share": a}, {"charity_id": SECOND, "share": b}]}

    assert (await api.put("finance", "/api/v1/charities/shares", body("50", "50"))).status_code == 403
    short = await api.put("admin", "/api/v1/charities/shares", body("60.00", "39.99"))
    assert short.status_code == 422 and "99.99 %" in short.json()["detail"]
    missing = await api.put("admin", "/api/v1/charities/shares", {"shares": [{"charity_id": CHARITY, "share": "100"}]})
    assert missing.status_code == 422 and "Second Test Charity" in missing.json()["detail"]
    assert (await api.put("admin", "/api/v1/charities/shares", body("66.67", "33.333"))).status_code == 422
    ok = await api.put("admin", "/api/v1/charities/shares", body("66.67", "33.33"))
    assert ok.status_code == 200 and ok.json()["ready"] is True and ok.json()["total_active"] == "100.00"
    shares = (await api.get("finance", "/api/v1/charities/shares")).json()
    assert [i["share"] for i in shares["items"]] == ["66.67", "33.33"]
    # Deactivating a charity breaks the sum: the shares endpoint (and the run) say so.
    second = (await api.get("admin", f"/api/v1/charities/{SECOND}")).json()
    await api.patch("admin", f"/api/v1/charities/{SECOND}", {"version": second["version"], "active": False})
    shares = (await api.get("admin", "/api/v1/charities/shares")).json()
    assert shares["ready"] is False and "66.67 %" in shares["problem"]
    refused = await api.post("finance", "/api/v1/donations/run")
    assert refused.status_code == 409 and "not 100 %" in refused.json()["detail"]
    assert await count(api.app, "donations") == 0


async def test_a_charity_user_sees_only_its_own_charity(api: Api) -> None:
    listed = (await api.get("charity", "/api/v1/charities")).json()["items"]
    assert [c["id"] for c in listed] == [CHARITY]
    assert (await api.get("charity", f"/api/v1/charities/{SECOND}")).status_code == 404
    assert (await api.get("charity2", f"/api/v1/charities/{CHARITY}")).status_code == 404
    assert (await api.get("helpdesk", "/api/v1/charities")).status_code == 403
    assert (await api.get("charity", "/api/v1/charities/shares")).status_code == 403
