"""Fleet revaluation: the set-based path agrees with the pure estimator, device by device."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from service.bootstrap import Ports
from service.jobs.service import manual_slot, run_job
from service.valuation.jobs import REVALUE
from service.valuation.policy import ValuationPolicy
from service.valuation.revalue import value_in_service
from tests.integration.conftest import Api, seed_employee, seed_model


async def test_revaluation_matches_the_pure_estimator_on_a_sample(api: Api) -> None:
    rng = random.Random(7)
    models = [
        await seed_model(api, name=f"M{c}", category=c, storage_media_count=0, storage_media_type=None)
        for c in ("laptop", "phone", "tablet", "desktop", "monitor", "other")
    ]
    holder = await seed_employee(api)
    today = datetime.now(api.app.state.settings.tz).date()
    expected: dict[int, int] = {}
    for n in range(60):
        model = rng.choice(models)
        purchased = today - timedelta(days=rng.randint(0, 3000))
        price = rng.randint(100, 400000)
        grade = rng.choice("ABCD")
        body = {
            "asset_tag": f"R-{n}",
            "model_id": model["id"],
            "purchase_date": purchased.isoformat(),
            "purchase_price": f"{price // 100}.{price % 100:02d}",
            "condition_grade": grade,
        }
        if n % 3 == 0:
            body["holder_id"] = holder["id"]
        device = (await api.post("helpdesk", "/api/v1/devices", body)).json()
        if n % 10 == 9:
            await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "Broken hinge"})
            continue
        expected[device["id"]] = value_in_service(price, purchased, model["category"], grade, ValuationPolicy(), today)

    run = await run_job(
        api.app.state.sessionmaker,
        REVALUE,
        slot=manual_slot(),
        triggered_by="test",
        ports=Ports(),
        settings=api.app.state.settings,
    )
    assert run is not None and run.outcome == "succeeded", run and run.message
    async with api.app.state.engine.connect() as conn:
        rows = dict((await conn.execute(sa.text("SELECT device_id, value_cents FROM fleet_values"))).all())
    assert rows == expected
    assert run.counts == {"devices": len(expected), "total_cents": sum(expected.values())}
    summary = (await api.get("finance", "/api/v1/fleet-value")).json()
    assert summary["total"] == f"{sum(expected.values()) // 100}.{sum(expected.values()) % 100:02d}"


def _months_ago(today: date, months: int) -> date:
    """The same day of the month ``months`` back (days past the 28th move to the 28th, so exactly that many whole
    months have passed)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


async def test_revaluation_figures_worked_out_by_hand(api: Api) -> None:
    """Values from the default policy, computed by hand, so both the SQL and the pure function are held to them:
    1249.00 x round(0.965^24, 6) x 0.85 (grade B) = 451.48; a worn-out phone at its parts value (10.00, since
    200.00 x 0.95^60 x 0.40 = 3.69 is less); a tablet bought below its parts value keeps its price."""
    today = datetime.now(api.app.state.settings.tz).date()
    cases = [("laptop", 124900, 24, "B", 45148), ("phone", 20000, 60, "D", 1000), ("tablet", 1000, 12, "A", 1000)]
    expected = {}
    for n, (category, price, months, grade, value) in enumerate(cases):
        model = await seed_model(api, name=f"H{n}", category=category, storage_media_count=0, storage_media_type=None)
        body = {"asset_tag": f"H-{n}", "model_id": model["id"], "purchase_date": _months_ago(today, months).isoformat(),
                "purchase_price": f"{price // 100}.{price % 100:02d}", "condition_grade": grade}  # fmt: skip
        expected[(await api.post("helpdesk", "/api/v1/devices", body)).json()["id"]] = value
    run = await run_job(api.app.state.sessionmaker, REVALUE, slot=manual_slot(), triggered_by="test", ports=Ports(),
                        settings=api.app.state.settings)  # fmt: skip
    assert run is not None and run.outcome == "succeeded", run and run.message
    async with api.app.state.engine.connect() as conn:
        values = dict((await conn.execute(sa.text("SELECT device_id, value_cents FROM fleet_values"))).all())
        versions = (await conn.execute(sa.text("SELECT DISTINCT policy_version FROM fleet_values"))).scalars().all()
        saved = (await conn.execute(sa.text("SELECT version FROM valuation_policies"))).scalars().all()
    assert values == expected
    # The figures name a policy version that is stored, not defaults a later first edit would also call 1.
    assert list(versions) == [1] and list(saved) == [1]
