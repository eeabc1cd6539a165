"""Each company's pool donates separately, by its own shares; its statement names it and, when it has its own
legal identity, gives under it (issue 14)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api
from tests.integration.donation_helpers import CHARITY, SECOND, approved, credit, run, set_shares

ZORG = {
    "name": "Zorg Noord",
    "legal_name": "Zorg Noord B.V.",
    "address": "Grote Markt 1, 9711 LV Groningen",
    "kvk_number": "87654321",
    "rsin": "111222333",
}


async def _zorg(api: Api) -> dict[str, Any]:
    created = await api.post("admin", "/api/v1/companies/", ZORG)
    assert created.status_code == 201, created.text
    return created.json()


async def _credit_for(api: Api, n: int, amount: str, company_id: int) -> dict[str, Any]:
    """A credited device of ``company_id``: registered there by a helpdesk user scoped to it."""
    user = api.user_ids["helpdesk"]
    current = (await api.get("admin", f"/api/v1/users/{user}")).json()
    scoped = await api.patch(
        "admin", f"/api/v1/users/{user}", {"version": current["version"], "company_ids": [company_id]}
    )
    assert scoped.status_code == 200, scoped.text
    try:
        device = await credit(api, n, amount)
    finally:
        current = (await api.get("admin", f"/api/v1/users/{user}")).json()
        await api.patch("admin", f"/api/v1/users/{user}", {"version": current["version"], "company_ids": []})
    assert device["company_id"] == company_id
    return device


async def test_each_companys_pool_donates_by_its_own_shares_and_its_statement_names_it(api: Api) -> None:
    zorg = await _zorg(api)
    await set_shares(api, "50.00", "50.00")
    await credit(api, 1, "100.00")  # the default company's pool
    await _credit_for(api, 2, "300.00", zorg["id"])
    own = await api.put(
        "admin",
        f"/api/v1/companies/{zorg['id']}/shares",
        {"shares": [{"charity_id": CHARITY, "share": "100.00"}, {"charity_id": SECOND, "share": "0"}]},
    )
    assert own.status_code == 200, own.text
    assert own.json()["own"] is True and own.json()["ready"] is True

    pools = {c: (await api.get("finance", f"/api/v1/pool/?company_id={c}")).json()["balance"] for c in (1, zorg["id"])}
    assert pools == {1: "100.00", zorg["id"]: "300.00"}

    drafted = await run(api)
    by_company = sorted((d["company_id"], d["charity_id"], d["amount"]) for d in drafted)
    # The default company splits 50/50 by the organisation's shares; Zorg Noord gives all to the first charity.
    assert by_company == [(1, CHARITY, "50.00"), (1, SECOND, "50.00"), (zorg["id"], CHARITY, "300.00")]

    zorg_donation = next(d for d in drafted if d["company_id"] == zorg["id"])
    listed = (await api.get("finance", f"/api/v1/donations/?company_id={zorg['id']}")).json()["items"]
    assert [d["id"] for d in listed] == [zorg_donation["id"]]
    await approved(api, zorg_donation["id"])
    pools = {c: (await api.get("finance", f"/api/v1/pool/?company_id={c}")).json()["balance"] for c in (1, zorg["id"])}
    assert pools == {1: "100.00", zorg["id"]: "0.00"}  # the debit left the other company's pool alone
    document = (await api.get("finance", f"/api/v1/donations/{zorg_donation['id']}/statement.json")).json()
    assert document["agent"]["name"] == "Zorg Noord B.V." and document["agent"]["rsin"] == "111222333"
    assert document["donorCompany"] == {"id": zorg["id"], "name": "Zorg Noord"}

    back = await api.delete("admin", f"/api/v1/companies/{zorg['id']}/shares")
    assert back.status_code == 200 and back.json()["own"] is False
    assert [s["share"] for s in back.json()["items"]] == ["50.00", "50.00"]


async def test_a_companys_own_shares_are_checked_and_a_broken_one_stops_only_a_run_it_would_share(api: Api) -> None:
    zorg = await _zorg(api)
    await set_shares(api, "50.00", "50.00")
    wrong = await api.put(
        "admin",
        f"/api/v1/companies/{zorg['id']}/shares",
        {"shares": [{"charity_id": CHARITY, "share": "60.00"}, {"charity_id": SECOND, "share": "30.00"}]},
    )
    assert wrong.status_code == 422 and "100.00 %" in wrong.text
    assert (await api.get("finance", f"/api/v1/companies/{zorg['id']}/shares")).json()["own"] is False
    helpdesk = await api.put(
        "helpdesk",
        f"/api/v1/companies/{zorg['id']}/shares",
        {"shares": [{"charity_id": CHARITY, "share": "100.00"}, {"charity_id": SECOND, "share": "0"}]},
    )
    assert helpdesk.status_code == 403

    own = await api.put(
        "admin",
        f"/api/v1/companies/{zorg['id']}/shares",
        {"shares": [{"charity_id": CHARITY, "share": "100.00"}, {"charity_id": SECOND, "share": "0"}]},
    )
    assert own.status_code == 200
    # The first charity goes inactive: Zorg Noord's own shares no longer make 100 % of the active charities.
    await set_shares(api, "0", "100.00")
    first = (await api.get("admin", f"/api/v1/charities/{CHARITY}")).json()
    off = await api.patch("admin", f"/api/v1/charities/{CHARITY}", {"version": first["version"], "active": False})
    assert off.status_code == 200, off.text
    await credit(api, 1, "100.00")
    assert [(d["company_id"], d["charity_id"]) for d in await run(api)] == [(1, SECOND)]  # Zorg's pool is empty

    await _credit_for(api, 2, "40.00", zorg["id"])
    refused = await api.post("finance", "/api/v1/donations/run")
    assert refused.status_code == 409 and "Zorg Noord" in refused.json()["detail"]


async def test_adjustments_land_in_the_named_companys_pool_and_a_device_stays_in_its_own(api: Api) -> None:
    zorg = await _zorg(api)
    device = await credit(api, 1, "100.00")  # the default company's
    wide = await api.post("finance", "/api/v1/pool/adjustments",
                          {"amount": "25.00", "reason": "Canteen collection", "company_id": zorg["id"]})  # fmt: skip
    assert wide.status_code == 201 and wide.json()["company_id"] == zorg["id"], wide.text
    mismatch = await api.post("finance", "/api/v1/pool/adjustments", {
        "amount": "-5.00", "reason": "Scratch found", "device_id": device["id"], "company_id": zorg["id"]})  # fmt: skip
    assert mismatch.status_code == 422 and mismatch.json()["errors"][0]["field"] == "company_id"
    own = await api.post("finance", "/api/v1/pool/adjustments",
                         {"amount": "-5.00", "reason": "Scratch found", "device_id": device["id"]})  # fmt: skip
    assert own.status_code == 201 and own.json()["company_id"] == 1, own.text
    pools = {c: (await api.get("finance", f"/api/v1/pool/?company_id={c}")).json()["balance"] for c in (1, zorg["id"])}
    assert pools == {1: "95.00", zorg["id"]: "25.00"}
