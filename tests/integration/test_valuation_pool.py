"""Valuation, acceptance into the pool, overrides, adjustments and dispositions, on both databases."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.integration.conftest import Api, count, seed_device, seed_model

pytestmark = pytest.mark.usefixtures("api")


async def wiped_device(api: Api, n: int = 1, price: str = "1249.00", grade: str = "B") -> dict[str, Any]:
    """A device that has been retired and has reached wiped through the wipe gate (no storage media)."""
    models = (await api.get("helpdesk", "/api/v1/device-models?q=P2422H")).json()["items"]
    model = (
        models[0]
        if models
        else await seed_model(api, name="P2422H", category="monitor", storage_media_count=0, storage_media_type=None)
    )
    device = await seed_device(
        api,
        model["id"],
        asset_tag=f"MON-{n}",
        serial_number=f"MSN-{n}",
        purchase_price=price,
        purchase_date="2024-11-01",
        condition_grade=grade,
    )
    await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "Dead pixels across the panel"})
    attested = await api.post(
        "helpdesk",
        f"/api/v1/devices/{device['id']}/no-media-attestation",
        {"statement": "A monitor has no storage media."},
    )
    assert attested.status_code == 201, attested.text
    got = (await api.get("helpdesk", f"/api/v1/devices/{device['id']}")).json()
    assert got["status"] == "wiped"
    return got


async def test_estimate_explains_itself_and_accepting_credits_the_pool(api: Api) -> None:
    device = await wiped_device(api)
    estimate = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/valuation", {})
    assert estimate.status_code == 201, estimate.text
    v = estimate.json()
    assert v["method"] == "market" and v["status"] == "estimate" and v["policy_version"] == 1
    assert [line["label"] for line in v["breakdown"]][:2] == ["New price", "Age"]
    assert v["breakdown"][-1]["value"] == v["estimated_amount"] == v["amount"]
    assert (await api.post("helpdesk", f"/api/v1/valuations/{v['id']}/accept")).status_code == 403
    accepted = await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert (await api.get("finance", f"/api/v1/devices/{device['id']}")).json()["status"] == "valued"
    pool = (await api.get("finance", "/api/v1/pool")).json()
    assert pool["balance"] == v["amount"] and pool["items"][0]["kind"] == "credit"
    assert pool["totals_by_category"][0]["category"] == "monitor"
    again = await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert again.status_code == 409


async def test_the_ledger_is_not_a_charitys_to_read(api: Api) -> None:
    device = await wiped_device(api)
    v = (await api.post("helpdesk", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    for url in (
        "/api/v1/pool",
        "/api/v1/fleet-value",
        "/api/v1/valuation-policy",
        f"/api/v1/valuations/{v['id']}",
        f"/api/v1/devices/{device['id']}/valuations",
        "/pool",
        "/admin/valuation-policy",
    ):
        assert (await api.get("charity", url)).status_code == 403, url
        assert (await api.get("auditor", url)).status_code == 200, url


async def test_accepting_needs_a_wiped_device(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    response = await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert response.status_code == 409 and response.json()["current_status"] == "in_stock"
    assert await count(api.app, "pool_entries") == 0


async def test_override_before_and_after_acceptance(api: Api) -> None:
    device = await wiped_device(api)
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    bad = await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": "50.00", "reason": ""})
    assert bad.status_code == 422
    over = await api.post(
        "finance", f"/api/v1/valuations/{v['id']}/override", {"amount": "50.00", "reason": "Refurbisher quote"}
    )
    assert over.status_code == 200
    assert over.json()["amount"] == "50.00" and over.json()["estimated_amount"] == v["estimated_amount"]
    await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert (await api.get("finance", "/api/v1/pool")).json()["balance"] == "50.00"
    # After the credit, an override writes an adjustment for the difference.
    await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": "42.50", "reason": "Second quote"})
    pool = (await api.get("finance", "/api/v1/pool")).json()
    assert pool["balance"] == "42.50"
    assert [(e["kind"], e["amount"]) for e in pool["items"]] == [("credit", "50.00"), ("adjustment", "-7.50")]


async def test_adjustments_never_take_the_pool_below_zero(api: Api) -> None:
    device = await wiped_device(api)
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": "100.00", "reason": "Quote"})
    await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    too_much = await api.post("finance", "/api/v1/pool/adjustments", {"amount": "-100.01", "reason": "Correction"})
    assert too_much.status_code == 409 and "below zero" in too_much.json()["detail"]
    ok = await api.post(
        "finance",
        "/api/v1/pool/adjustments",
        {"amount": "-0.01", "reason": "Rounding correction", "device_id": device["id"]},
    )
    assert ok.status_code == 201 and ok.json()["balance_after"] == "99.99"
    assert (await api.post("admin", "/api/v1/pool/adjustments", {"amount": "1.00", "reason": "x"})).status_code == 403
    for body in (
        {"amount": 1.5, "reason": "float"},
        {"amount": "1.234", "reason": "too precise"},
        {"amount": "1.00", "reason": "unknown device", "device_id": 9999},
    ):
        assert (await api.post("finance", "/api/v1/pool/adjustments", body)).status_code == 422


async def test_disposition_in_kind_reverses_and_a_sale_adjusts(api: Api) -> None:
    gift, sold = await wiped_device(api, 1), await wiped_device(api, 2)
    for device, amount in ((gift, "80.00"), (sold, "60.00")):
        v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
        await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": amount, "reason": "Quote"})
        await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert (await api.get("finance", "/api/v1/pool")).json()["balance"] == "140.00"
    kind = await api.post(
        "finance",
        f"/api/v1/devices/{gift['id']}/dispose",
        {"disposition": "donated_in_kind", "counterparty": "Stichting Digitale Brug"},
    )
    assert kind.status_code == 200
    sale = await api.post(
        "finance",
        f"/api/v1/devices/{sold['id']}/dispose",
        {
            "disposition": "sold_to_refurbisher",
            "counterparty": "Renewd",
            "reference": "INV-77",
            "realised_amount": "75.00",
        },
    )
    assert sale.status_code == 200 and sale.json()["realised_amount"] == "75.00"
    pool = (await api.get("finance", "/api/v1/pool")).json()
    assert pool["balance"] == "75.00"
    assert [e["kind"] for e in pool["items"]] == ["credit", "credit", "reversal", "adjustment"]
    assert (await api.get("finance", f"/api/v1/devices/{sold['id']}")).json()["status"] == "disposed"
    twice = await api.post(
        "finance", f"/api/v1/devices/{sold['id']}/dispose", {"disposition": "recycled", "counterparty": "Renewd"}
    )
    assert twice.status_code == 409


async def test_concurrent_accepts_credit_a_device_once(api: Api) -> None:
    device = await wiped_device(api)
    estimates = [(await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json() for _ in range(4)]
    results = await asyncio.gather(*[api.post("finance", f"/api/v1/valuations/{v['id']}/accept") for v in estimates])
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    entries = (await api.get("finance", "/api/v1/pool")).json()["items"]
    assert [e["kind"] for e in entries] == ["credit"]


async def test_policy_versions_never_rewrite_estimates(api: Api) -> None:
    device = await wiped_device(api)
    first = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    policy = (await api.get("finance", "/api/v1/valuation-policy")).json()
    assert policy["version"] == 1 and policy["saved"] is True
    changed = dict(policy["policy"], grade_factor={"A": "1.00", "B": "0.50", "C": "0.40", "D": "0.20"})
    assert (await api.put("finance", "/api/v1/valuation-policy", {"policy": changed, "note": "x"})).status_code == 403
    saved = await api.put("admin", "/api/v1/valuation-policy", {"policy": changed, "note": "Harsher grades"})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    second = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    assert second["policy_version"] == 2 and second["estimated_amount"] != first["estimated_amount"]
    old = (await api.get("finance", f"/api/v1/valuations/{first['id']}")).json()
    assert old["policy_version"] == 1 and old["estimated_amount"] == first["estimated_amount"]
    invalid = await api.put(
        "admin", "/api/v1/valuation-policy", {"policy": dict(changed, grade_factor={"A": "2"}), "note": "broken"}
    )
    assert invalid.status_code == 422


async def test_locked_device_is_worth_nothing(api: Api) -> None:
    device = await wiped_device(api)
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {"locked": True})).json()
    assert v["estimated_amount"] == "0.00" and v["inputs"]["locked"] is True
    accepted = await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert accepted.status_code == 200
    assert (await api.get("finance", "/api/v1/pool")).json()["balance"] == "0.00"


async def test_pool_page_shows_balance_and_takes_adjustments(api: Api) -> None:
    from tests.integration.conftest import ui_login

    device = await wiped_device(api)
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": "30.00", "reason": "Quote"})
    await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    csrf = await ui_login(api, "finance")
    page = await api.client.get("/pool")
    assert page.status_code == 200 and "€30.00" in page.text and 'for="amount"' in page.text
    refused = await api.client.post(
        "/pool/adjustments", data={"amount": "-31.00", "reason": "Too much", "_csrf_token": csrf}
    )
    assert refused.status_code == 409 and "below zero" in refused.text and 'value="-31.00"' in refused.text
    bad = await api.client.post("/pool/adjustments", data={"amount": "abc", "reason": "x", "_csrf_token": csrf})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    assert refused.headers["content-type"].startswith("text/html")
    assert bad.headers["content-type"].startswith("text/html")
    ok = await api.client.post(
        "/pool/adjustments", data={"amount": "-5.00", "reason": "Transport cost", "_csrf_token": csrf}
    )
    assert ok.status_code == 303
    assert "€25.00" in (await api.client.get("/pool")).text


async def test_valuation_page_estimates_overrides_and_accepts(api: Api) -> None:
    from tests.integration.conftest import ui_login

    device = await wiped_device(api)
    csrf = await ui_login(api, "finance")
    page = await api.client.get(f"/devices/{device['id']}/valuation")
    assert page.status_code == 200 and "waits for a valuation" in page.text
    estimated = await api.client.post(f"/devices/{device['id']}/valuation", data={"_csrf_token": csrf})
    assert estimated.status_code == 303
    page = await api.client.get(f"/devices/{device['id']}/valuation")
    assert "Breakdown" in page.text and "Retention for a monitor" in page.text
    v = (await api.get("finance", f"/api/v1/devices/{device['id']}/valuations")).json()[0]
    bad = await api.client.post(
        f"/valuations/{v['id']}/override", data={"amount": "1.234,50", "reason": "Quote", "_csrf_token": csrf}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text  # reads two ways: refused
    ok = await api.client.post(  # a decimal comma, as people here type it, as on every other form
        f"/valuations/{v['id']}/override", data={"amount": "12,50", "reason": "Quote", "_csrf_token": csrf}
    )
    assert ok.status_code == 303
    accepted = await api.client.post(f"/valuations/{v['id']}/accept", data={"_csrf_token": csrf})
    assert accepted.status_code == 303
    page = await api.client.get(f"/devices/{device['id']}/valuation")
    assert "€12.50" in page.text and "Record how it left" in page.text


async def test_policy_page_saves_a_new_version(api: Api) -> None:
    import json

    from tests.integration.conftest import ui_login

    csrf = await ui_login(api, "admin")
    page = await api.client.get("/admin/valuation-policy")
    assert page.status_code == 200 and "defaults, not yet saved" in page.text
    broken = await api.client.post(
        "/admin/valuation-policy", data={"policy": "{not json", "note": "Try", "_csrf_token": csrf}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.text
    policy = (await api.get("admin", "/api/v1/valuation-policy")).json()["policy"]
    policy["auto_accept_below_cents"] = 1000
    saved = await api.client.post(
        "/admin/valuation-policy", data={"policy": json.dumps(policy), "note": "Auto-accept", "_csrf_token": csrf}
    )
    assert saved.status_code == 303
    stored = (await api.get("admin", "/api/v1/valuation-policy")).json()
    # Saved, not the defaults reported as v1 (which this would equal had nothing been stored).
    assert (stored["version"], stored["saved"], stored["policy"]["auto_accept_below_cents"]) == (1, True, 1000)


async def test_a_refused_valuation_form_keeps_what_was_chosen_beside_it(api: Api) -> None:
    import re

    from tests.integration.conftest import ui_login

    device = await wiped_device(api)
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    assert (await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")).status_code == 200
    csrf = await ui_login(api, "finance")
    refused = await api.client.post(  # no counterparty: refused, with the disposition chosen and the reference typed
        f"/devices/{device['id']}/dispose",
        data={"disposition": "recycled", "counterparty": "", "reference": "R-77", "_csrf_token": csrf},
    )
    assert refused.status_code == 422
    page = refused.text
    chosen = re.findall(r'<option value="(\w+)" selected>', page)
    assert chosen == ["recycled"]  # not the first option, as a freshly drawn select would show
    assert 'id="reference" name="reference" value="R-77"' in page
    assert re.search(r'id="counterparty" name="counterparty" required value="" aria-invalid="true"', page)
    # The reason sits inside the dispose form, not at the top of the page.
    assert page.index('Record how it left') < page.index('id="dispose-error"') < page.index('Record disposition')
    assert (await api.get("finance", f"/api/v1/devices/{device['id']}")).json()["status"] == "valued"
