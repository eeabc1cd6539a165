"""The impact report over the API, the page and the files, on figures worked by hand, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from service.compensation.models import CompensationObligation
from service.db import session_scope
from service.impact import render
from tests.integration.conftest import Api, count, seed_device, seed_model, ui_login


def _months_ago(months: int) -> date:
    today = datetime.now(UTC).date()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


async def _fleet(api: Api) -> dict[str, int]:
    """Two laptops replaced after 24 months (early) and 54 months, their successors bought today (one without a
    price), and a phone of a model with no weight, bought today and compensated."""
    laptop = await seed_model(
        api, e_waste_compensated=True, certifications=[{"scheme": "TCO Certified", "level": "Generation 9"}]
    )
    phone = await seed_model(
        api,
        manufacturer="Fairphone",
        name="Fairphone 5",
        category="phone",
        weight_grams=None,
        storage_media_type="phone_memory",
    )
    today = datetime.now(UTC).date().isoformat()
    ids = {}
    for tag, months in (("A", 24), ("B", 54)):
        old = await seed_device(
            api,
            laptop["id"],
            asset_tag=f"KL-{tag}",
            serial_number=f"SN-{tag}",
            purchase_date=_months_ago(months).isoformat(),
        )
        retired = await api.post("helpdesk", f"/api/v1/devices/{old['id']}/retire", {"reason": "Mainboard failure"})
        assert retired.status_code == 200, retired.text
        new = await seed_device(
            api,
            laptop["id"],
            asset_tag=f"KL-{tag}2",
            serial_number=f"SN-{tag}2",
            purchase_date=today,
            replaces_id=old["id"],
            purchase_price="0.00" if tag == "B" else "1000.00",
        )
        ids[tag], ids[f"{tag}2"] = old["id"], new["id"]
    d = await seed_device(
        api, phone["id"], asset_tag="KL-D", serial_number="SN-D", purchase_date=today, purchase_price="500.00"
    )
    ids["D"] = d["id"]
    async with session_scope(api.app.state.sessionmaker) as session:
        await session.execute(
            sa.update(CompensationObligation)
            .where(CompensationObligation.device_id == d["id"])
            .values(status="compensated", partner_reference="CTL-1", compensated_at=datetime.now(UTC))
        )
    return ids


def _figure(report: dict, section: str, group: str, name: str) -> str | None:
    row = next(r for r in report[section]["rows"] if r["group"] == group)
    return row["figures"][name]["value"]


async def test_the_report_on_figures_worked_by_hand(api: Api) -> None:
    ids = await _fleet(api)
    response = await api.get("finance", "/api/v1/impact")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["period"]["label"] == str(datetime.now(UTC).year) and report["group_by"] == "category"
    # Lifetime: ages 24 and 54; 236 kg x (54 - 36) / 36 = 118.0 kept longer, 236 x (24 - 36) / 36 = -78.7 early.
    laptop = next(r for r in report["lifetime_extension"]["rows"] if r["group"] == "laptop")
    f = laptop["figures"]
    assert (f["replaced"]["value"], f["average_age_months"]["value"]) == ("2", "39.0")
    assert (f["co2e_extended_kg"]["value"], f["co2e_early_kg"]["value"]) == ("118.0", "-78.7")
    assert f["co2e_avoided_kg"]["value"] == "39.3"  # 236 x (78 - 72) / 36
    assert laptop["flags"] == ["replaced early: 1 device(s) before 36 months"]
    assert f["co2e_avoided_kg"]["factor_version"] == report["factors"]["label"]
    assert report["factors"]["label"].startswith("v1/") and report["factors"]["saved"] is False
    assert f["co2e_avoided_kg"]["method_version"] == "impact-1" and "Boavizta" in f["co2e_avoided_kg"]["source"]
    # One for one: 3 owed this year, the phone compensated at the category weight (0.17 kg, 3 scrap phones).
    totals = report["totals"]
    assert (totals["owed"]["value"], totals["compensated"]["value"]) == ("3", "1")
    assert totals["share_covered_percent"]["value"] == "33.3" and totals["ewaste_kg"]["value"] == "0.17"
    assert _figure(report, "one_for_one", "phone", "scrap_phones") == "3"
    assert report["one_for_one"]["uncovered_count"] == 2
    assert {u["device_id"] for u in report["one_for_one"]["uncovered"]} == {ids["A2"], ids["B2"]}
    # Procurement: the two laptops meet e-waste compensated and TCO Certified; one has no price.
    assert _figure(report, "procurement", "laptop", "purchases") == "2"
    assert _figure(report, "procurement", "laptop", "spend") == "1000.00"
    assert _figure(report, "procurement", "laptop", "e_waste_compensated_count_percent") == "100.0"
    assert _figure(report, "procurement", "laptop", "TCO Certified_spend_percent") == "100.0"
    assert _figure(report, "procurement", "phone", "e_waste_compensated_count_percent") == "0.0"
    chart = report["charts"]["replacement_age"]
    assert chart["labels"] == ["laptop"] and chart["series"][0]["values"] == ["39.0"]
    assert chart["reference"]["value"] == "36"


async def test_devices_bought_before_the_start_owe_nothing(api: Api) -> None:
    model = await seed_model(api)
    await seed_device(api, model["id"], purchase_date="2022-06-01")
    await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN-2", purchase_date="2023-01-01")
    report = (await api.get("auditor", "/api/v1/impact?from=2022-01-01&to=2023-12-31")).json()
    assert _figure(report, "one_for_one", "laptop", "owed") == "1"
    assert _figure(report, "one_for_one", "laptop", "before_start") == "1"


async def test_computing_twice_changes_nothing_and_a_new_factor_version_shows(api: Api) -> None:
    await _fleet(api)
    audits = await count(api.app, "audit_records")
    first = (await api.get("finance", "/api/v1/impact")).json()
    second = (await api.get("finance", "/api/v1/impact")).json()
    assert first == second and await count(api.app, "audit_records") == audits
    factors = (await api.get("auditor", "/api/v1/impact/factors")).json()
    assert factors["version"] == 1 and factors["saved"] is False
    changed = {**factors["factors"], "manufacturing_kg": {**factors["factors"]["manufacturing_kg"], "laptop": "300"}}
    refused = await api.put("finance", "/api/v1/impact/factors", {"factors": changed, "note": "x"})
    assert refused.status_code == 403
    saved = await api.put("admin", "/api/v1/impact/factors", {"factors": changed, "note": "Own LCA for laptops"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2 and saved.json()["fingerprint"] != first["factors"]["fingerprint"]
    again = await api.put("admin", "/api/v1/impact/factors", {"factors": changed, "note": "again"})
    assert again.status_code == 409
    after = (await api.get("finance", "/api/v1/impact")).json()
    f = next(r for r in after["lifetime_extension"]["rows"] if r["group"] == "laptop")["figures"]["co2e_avoided_kg"]
    assert f["value"] == "50.0"  # 300 x 6 / 36
    assert f["factor_version"] == f"v2/{saved.json()['fingerprint']}" != first["factors"]["label"]
    assert f["inputs"]["manufacturing_kg"] == "300"
    assert await count(api.app, "audit_records") == audits + 1


async def test_who_may_read_it_and_bad_parameters(api: Api) -> None:
    for who, status in (("finance", 200), ("auditor", 200), ("admin", 200), ("helpdesk", 403), ("charity", 403)):
        assert (await api.get(who, "/api/v1/impact")).status_code == status, who
    for query, field in (
        ("year=abc", "year"),
        ("from=2026-01-01", "to"),
        ("group_by=department", "group_by"),
        ("year=2026&quarter=5", "quarter"),
        ("from=2026-02-01&to=2026-01-01", "to"),
    ):
        response = await api.get("finance", f"/api/v1/impact?{query}")
        assert response.status_code == 422, query
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field


async def test_files_and_the_dashboard(api: Api) -> None:
    await _fleet(api)
    csv = await api.get("finance", "/api/v1/impact/report.csv")
    assert csv.status_code == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"
    lines = csv.text.splitlines()
    assert lines[0] == ",".join(render.CSV_COLUMNS)
    assert any(line.startswith("lifetime_extension,laptop,co2e_avoided_kg,39.3,kg CO2e,") for line in lines)
    data = await api.get("finance", "/api/v1/impact/report.json")
    report = (await api.get("finance", "/api/v1/impact")).json()
    assert data.json() == report
    pdf = await api.get("auditor", "/api/v1/impact/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    plain = render.pdf_bytes(report, compress=False)
    for text in (b"Methods and sources", b"Boavizta", b"replaced early", b"Net CO2e avoided by year of replacement"):
        assert text in plain, text

    await ui_login(api, "finance")
    page = await api.client.get("/impact")
    assert page.status_code == 200
    for text in (
        '<figure class="impact-chart" id="chart-replacement_age">',
        'role="img"',
        "<caption>",
        "replaced early: 1",
        "39.3",
        'href="/static/impact.css"',
        'href="/impact">Impact</a>',
    ):
        assert text in page.text, text
    bad = await api.client.get("/impact?year=abc")
    assert bad.status_code == 422 and "is not a whole number" in bad.text and 'aria-invalid="true"' in bad.text
    grouping = await api.client.get("/impact?group_by=department")
    assert grouping.status_code == 422 and "group by: unknown grouping &#39;department&#39;" in grouping.text
    download = await api.client.get("/impact/report.pdf?year=2026")
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"


async def test_helpdesk_has_no_dashboard(api: Api) -> None:
    await ui_login(api, "helpdesk")
    assert (await api.client.get("/impact")).status_code == 403


async def test_model_procurement_attributes(api: Api) -> None:
    model = await seed_model(api, repairability_score="8.1", declared_lifetime_months=60)
    assert (model["repairability_score"], model["declared_lifetime_months"]) == ("8.1", 60)
    assert model["e_waste_compensated"] is False and model["certifications"] == []
    url = f"/api/v1/device-models/{model['id']}"
    body = {
        "version": model["version"],
        "repairability_score": "10",
        "certifications": [{"scheme": "EPEAT", "level": "Gold", "expires_on": "2027-06-30"}],
    }
    changed = await api.patch("helpdesk", url, body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["repairability_score"] == "10.0"
    assert changed.json()["certifications"] == [{"scheme": "EPEAT", "level": "Gold", "expires_on": "2027-06-30"}]
    for bad in (
        {"repairability_score": "10.5"},
        {"certifications": None},
        {"certifications": [{"scheme": "Nope"}]},
    ):
        refused = await api.patch("helpdesk", url, {"version": changed.json()["version"], **bad})
        assert refused.status_code == 422, bad
    cleared = await api.patch("helpdesk", url, {"version": changed.json()["version"], "repairability_score": None})
    assert cleared.status_code == 200 and cleared.json()["repairability_score"] is None


async def test_a_certificate_counts_for_purchases_up_to_its_expiry(api: Api) -> None:
    model = await seed_model(
        api,
        certifications=[
            {"scheme": "EPEAT", "level": "Gold", "expires_on": "2025-06-30"},
            {"scheme": "TCO Certified", "level": "Generation 9"},
        ],
    )
    for tag, bought, price in (
        ("E1", "2025-03-01", "1000.00"),
        ("E2", "2025-06-30", "0.00"),
        ("E3", "2025-09-01", "3000.00"),
    ):
        await seed_device(
            api, model["id"], asset_tag=tag, serial_number=tag, purchase_date=bought, purchase_price=price
        )
    report = (await api.get("finance", "/api/v1/impact?year=2025")).json()
    assert _figure(report, "procurement", "laptop", "purchases") == "3"
    assert _figure(report, "procurement", "laptop", "EPEAT_count_percent") == "66.7"  # 2 of 3, up to 30 June
    assert _figure(report, "procurement", "laptop", "EPEAT_spend_percent") == "25.0"  # 1000 of 4000
    assert _figure(report, "procurement", "laptop", "TCO Certified_count_percent") == "100.0"
    row = next(r for r in report["procurement"]["rows"] if r["group"] == "laptop")
    assert row["figures"]["spend"]["note"] == "1 device(s) without a purchase price"
