"""The donation run and the approval workflow, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, count
from tests.integration.donation_helpers import CHARITY, SECOND, approved, credit, run, set_shares

pytestmark = pytest.mark.usefixtures("api")


@pytest.fixture
def settings(database: Database) -> Settings:
    # Two approvers above EUR 100, so both sides of the four-eyes limit are reachable with a few devices.
    return make_settings(database.url, donation_two_approvers_above_cents=10_000)


async def _lines(api: Api, donation_id: int) -> list[tuple[int, str]]:
    items = (await api.get("finance", f"/api/v1/donations/{donation_id}/lines")).json()["items"]
    return [(i["pool_entry_id"], i["amount"]) for i in items]


async def _pool(api: Api) -> dict[str, Any]:
    return (await api.get("finance", "/api/v1/pool")).json()


async def test_run_drafts_by_share_oldest_credits_first_and_never_twice(api: Api) -> None:
    for n, amount in enumerate(("30.00", "50.00", "20.01"), start=1):
        await credit(api, n, amount)
    await set_shares(api, "60.00", "40.00")
    drafts = await run(api)
    # 100.01 by 60/40: 60.006 and 40.004 -> 60.01 (largest remainder) and 40.00.
    assert [(d["charity_id"], d["amount"], d["status"]) for d in drafts] == [
        (CHARITY, "60.01", "draft"),
        (SECOND, "40.00", "draft"),
    ]
    entries = [e["id"] for e in (await _pool(api))["items"] if e["kind"] == "credit"]
    # Charity 1 takes the oldest credit whole and 30.01 of the boundary credit; charity 2 the rest.
    assert await _lines(api, drafts[0]["id"]) == [(entries[0], "30.00"), (entries[1], "30.01")]
    assert await _lines(api, drafts[1]["id"]) == [(entries[1], "19.99"), (entries[2], "20.01")]
    assert (await api.post("finance", "/api/v1/donations/run")).json()["donations"] == []
    overview = (await api.get("finance", "/api/v1/donations/overview")).json()
    assert overview == {**overview, "balance": "100.01", "held_by_open_donations": "100.01", "unallocated": "0.00"}
    # The run is a recorded job run.
    runs = (await api.get("admin", "/api/v1/jobs")).json()["items"]
    donations_job = next(j for j in runs if j["name"] == "donations")
    assert [r["triggered_by"] for r in donations_job["recent_runs"]] == ["api:finance", "api:finance"]
    assert (await api.post("admin", "/api/v1/donations/run")).status_code == 403


async def test_a_charity_below_its_minimum_waits_and_gets_the_next_run(api: Api) -> None:
    await credit(api, 1, "80.00")
    await set_shares(api, "50", "50")
    second = (await api.get("admin", f"/api/v1/charities/{SECOND}")).json()
    await api.patch("admin", f"/api/v1/charities/{SECOND}", {"version": second["version"], "minimum_donation": "45.00"})
    drafts = await run(api)
    assert [(d["charity_id"], d["amount"]) for d in drafts] == [(CHARITY, "40.00")]
    assert (await api.get("finance", "/api/v1/donations/overview")).json()["unallocated"] == "40.00"
    await credit(api, 2, "60.00")
    drafts = await run(api)
    # 100.00 waits or arrived: 50.00 each, both above their minimum now.
    assert [(d["charity_id"], d["amount"]) for d in drafts] == [(CHARITY, "50.00"), (SECOND, "50.00")]


async def test_four_eyes_on_one_approval_below_the_limit(api: Api) -> None:
    await credit(api, 1, "80.00")
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    url = f"/api/v1/donations/{draft['id']}"
    assert (await api.post("finance", f"{url}/approve")).status_code == 409  # a draft is submitted first
    assert (await api.post("auditor", f"{url}/submit")).status_code == 403
    assert (await api.post("finance", f"{url}/submit")).status_code == 200
    own = await api.post("finance", f"{url}/approve")
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert (await api.post("admin", f"{url}/approve")).status_code == 403  # admin is no superuser for money
    done = (await api.post("finance2", f"{url}/approve")).json()
    assert done["status"] == "approved" and [a["by"] for a in done["approvals"]] == ["finance2"]
    assert done["statement"]["kind"] == "original" and done["statement"]["current"] is True
    pool = await _pool(api)
    assert pool["balance"] == "0.00" and [e["kind"] for e in pool["items"]] == ["credit", "debit"]
    assert pool["items"][1]["amount"] == "-80.00"
    assert (await api.post("finance3", f"{url}/approve")).status_code == 409


async def test_four_eyes_with_two_approvers_above_the_limit(api: Api) -> None:
    await credit(api, 1, "150.00")
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    url = f"/api/v1/donations/{draft['id']}"
    await api.post("finance2", f"{url}/submit")
    assert (await api.post("finance2", f"{url}/approve")).status_code == 403  # the submitter, on every path
    first = (await api.post("finance", f"{url}/approve")).json()
    assert first["status"] == "submitted" and first["approvals_needed"] == 2 and len(first["approvals"]) == 1
    assert (await _pool(api))["balance"] == "150.00"  # nothing debited on the first approval
    twice = await api.post("finance", f"{url}/approve")
    assert twice.status_code == 403 and "second, different" in twice.json()["detail"]
    assert (await api.post("finance2", f"{url}/approve")).status_code == 403
    done = (await api.post("finance3", f"{url}/approve")).json()
    assert done["status"] == "approved" and [a["by"] for a in done["approvals"]] == ["finance", "finance3"]
    assert (await _pool(api))["balance"] == "0.00"
    trail = (await api.get("auditor", f"/api/v1/audit?entity_type=donation&entity_id={draft['id']}")).json()["items"]
    assert [a["action"] for a in trail][:5] == [
        "donation.draft",
        "donation.submit",
        "donation.approve",
        "donation.approve",
        "statement.issue",
    ]


async def test_reject_releases_the_credits_for_the_next_run(api: Api) -> None:
    device = await credit(api, 1, "70.00")
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    url = f"/api/v1/donations/{draft['id']}"
    await api.post("finance", f"{url}/submit")
    assert (await api.post("finance2", f"{url}/reject", {"reason": ""})).status_code == 422
    rejected = await api.post("finance2", f"{url}/reject", {"reason": "Charity asked to wait a quarter"})
    assert rejected.status_code == 200 and rejected.json()["close_reason"] == "Charity asked to wait a quarter"
    assert (await _pool(api))["balance"] == "70.00"
    assert (await api.post("finance2", f"{url}/approve")).status_code == 409
    # Released: the credit can be corrected again and goes into the next run.
    over = await api.post(
        "finance", f"/api/v1/valuations/{device['valuation_id']}/override", {"amount": "75.00", "reason": "New quote"}
    )
    assert over.status_code == 200, over.text
    (again,) = await run(api)
    assert again["amount"] == "75.00" and again["id"] != draft["id"]


async def test_an_allocated_credit_cannot_be_corrected(api: Api) -> None:
    device = await credit(api, 1, "70.00")
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    over = await api.post(
        "finance", f"/api/v1/valuations/{device['valuation_id']}/override", {"amount": "60.00", "reason": "New quote"}
    )
    assert over.status_code == 409 and f"donation {draft['id']}" in over.json()["detail"]
    adjust = await api.post(
        "finance", "/api/v1/pool/adjustments", {"amount": "-1.00", "reason": "Correction", "device_id": device["id"]}
    )
    assert adjust.status_code == 409
    gift = await api.post(
        "finance", f"/api/v1/devices/{device['id']}/dispose", {"disposition": "donated_in_kind", "counterparty": "X"}
    )
    assert gift.status_code == 409
    assert (await _pool(api))["balance"] == "70.00"
    # Selling it is fine (its value stays in the pool), as long as no amount changes the credit.
    sold = await api.post(
        "finance", f"/api/v1/devices/{device['id']}/dispose", {"disposition": "recycled", "counterparty": "Renewi"}
    )
    assert sold.status_code == 200


async def test_pay_acknowledge_and_cancel(api: Api) -> None:
    await credit(api, 1, "40.00")
    await credit(api, 2, "60.00")
    await set_shares(api, "50", "50")
    first, second = await run(api)
    await approved(api, first["id"])
    url = f"/api/v1/donations/{first['id']}"
    assert (await api.post("charity", f"{url}/acknowledge")).status_code == 409  # not paid yet
    assert (await api.post("finance", f"{url}/mark-paid", {"reference": ""})).status_code == 422
    paid = await api.post("finance", f"{url}/mark-paid", {"reference": "NL91ABNA0417164300 / 2026-Q4-1"})
    assert paid.status_code == 200 and paid.json()["payment_reference"] == "NL91ABNA0417164300 / 2026-Q4-1"
    assert (await api.post("finance", f"{url}/acknowledge")).status_code == 403
    assert (await api.post("charity2", f"{url}/acknowledge")).status_code == 404
    acknowledged = await api.post("charity", f"{url}/acknowledge")
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_by"] == "charity"
    assert (await api.post("finance", f"{url}/cancel", {"reason": "Too late"})).status_code == 409

    await approved(api, second["id"])
    url2 = f"/api/v1/donations/{second['id']}"
    assert (await _pool(api))["balance"] == "0.00"
    cancelled = await api.post("finance", f"{url2}/cancel", {"reason": "Charity closed its bank account"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    pool = await _pool(api)
    assert pool["balance"] == "50.00" and pool["items"][-1]["kind"] == "reversal"
    statements = (await api.get("finance", f"{url2}/statements")).json()
    assert [(s["kind"], s["current"]) for s in statements] == [("cancellation", True), ("original", False)]
    assert statements[0]["supersedes_id"] == statements[1]["id"]
    assert (await api.post("finance", f"{url2}/mark-paid", {"reference": "x"})).status_code == 409
    # Its credits wait again: the next run drafts them.
    assert [d["amount"] for d in await run(api)] == ["25.00", "25.00"]


async def test_yearly_totals_per_charity(api: Api) -> None:
    await credit(api, 1, "90.00")
    await set_shares(api, "50", "50", cost_per_device="15.00")
    first, _second = await run(api)
    await approved(api, first["id"])
    totals = (await api.get("finance", "/api/v1/donations/totals")).json()
    assert [(t["charity_id"], t["amount"], t["donations"], t["people_reached"]) for t in totals["items"]] == [
        (CHARITY, "45.00", 1, 3)
    ]
    assert totals["total"] == "45.00"
    assert (await api.get("charity2", "/api/v1/donations/totals")).json()["items"] == []
    assert (await api.get("finance", "/api/v1/donations/totals?year=1999")).status_code == 422


async def test_a_run_interrupted_by_an_error_leaves_no_partial_donation(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.donations import run as run_module

    await credit(api, 1, "30.00")
    await credit(api, 2, "30.00")
    await set_shares(api, "50", "50")
    real = run_module._insert_allocations
    calls: list[int] = []

    async def fail_on_second(session: Any, rows: list[dict[str, Any]]) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("database went away mid-run")
        await real(session, rows)

    monkeypatch.setattr(run_module, "_insert_allocations", fail_on_second)
    failed = await api.post("finance", "/api/v1/donations/run")
    assert failed.status_code == 409 and "database went away" in failed.json()["detail"]
    assert calls == [1, 1]  # the first donation was written before the failure ...
    assert await count(api.app, "donations") == 0  # ... and rolled back with the rest
    assert await count(api.app, "donation_allocations") == 0
    monkeypatch.setattr(run_module, "_insert_allocations", real)
    assert len(await run(api)) == 2


async def test_statements_cannot_be_changed_in_the_database(api: Api) -> None:
    await credit(api, 1, "20.00")
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    await approved(api, draft["id"])
    async with api.app.state.engine.connect() as conn:
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            await conn.execute(sa.text("UPDATE statements SET reason = 'forged'"))
        await conn.rollback()
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            await conn.execute(sa.text("DELETE FROM statements"))
