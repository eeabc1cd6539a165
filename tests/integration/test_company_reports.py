"""The impact report of one company or cost centre, and grouped by either (issue 14)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.integration.conftest import Api, seed_device, seed_model


def _rows(report: dict[str, Any], section: str = "procurement") -> dict[str, dict[str, Any]]:
    return {r["group"]: r["figures"] for r in report[section]["rows"]}


async def test_the_impact_report_filters_and_groups_by_company_and_cost_centre(api: Api) -> None:
    zorg = (await api.post("admin", "/api/v1/companies/", {"name": "Zorg Noord"})).json()
    model = await seed_model(api)
    bought = date.today().replace(day=1).isoformat()
    for n, (company, centre, price) in enumerate(
        [(1, "ICT", "1000.00"), (1, "Finance", "500.00"), (zorg["id"], "Zorg", "2000.00")], start=1
    ):
        await seed_device(api, model["id"], asset_tag=f"KL-{n}", serial_number=f"SN-{n}", purchase_date=bought,
                          purchase_price=price, company_id=company, cost_centre=centre)  # fmt: skip

    async def report(**params: str) -> dict[str, Any]:
        response = await api.get("finance", "/api/v1/impact", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    everything = _rows(await report())
    assert everything["laptop"]["purchases"]["value"] == "3"
    ours = await report(company_id="1")
    assert ours["filters"] == {"company": "Default company", "company_id": 1, "cost_centre": None}
    assert _rows(ours)["laptop"]["spend"]["value"] == "1500.00"
    assert _rows(await report(company_id=str(zorg["id"])))["laptop"]["spend"]["value"] == "2000.00"
    assert _rows(await report(cost_centre="Finance"))["laptop"]["spend"]["value"] == "500.00"
    by_company = _rows(await report(group_by="company"))
    assert {g: f["spend"]["value"] for g, f in by_company.items()} == {"Default company": "1500.00",
                                                                       "Zorg Noord": "2000.00"}  # fmt: skip
    by_centre = _rows(await report(group_by="cost_centre", company_id="1"))
    assert {g: f["purchases"]["value"] for g, f in by_centre.items()} == {"Finance": "1", "ICT": "1"}
    unknown = await api.get("finance", "/api/v1/impact", params={"company_id": "99"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "company_id"

    # A finance user scoped to Zorg Noord sees its figures only, and may not ask for another company's.
    await api.patch("admin", f"/api/v1/users/{api.user_ids['finance3']}", {"version": 1, "company_ids": [zorg["id"]]})
    scoped = await api.get("finance3", "/api/v1/impact")
    assert _rows(scoped.json())["laptop"]["spend"]["value"] == "2000.00"
    other = await api.get("finance3", "/api/v1/impact", params={"company_id": "1"})
    assert other.status_code == 422
    page = await api.get("finance", "/impact", params={"group_by": "company"})
    assert page.status_code == 200 and "Zorg Noord" in page.text
