"""Fleet revaluation: the indicative value of every device in service, for finance (never credited).

On PostgreSQL one set-based INSERT ... SELECT computes the market method for the whole fleet; it
matches the pure estimator to the cent because both round the retention to six places and the
product half-up to cents. SQLite (development) streams the rows through the pure estimator.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import is_postgres, utcnow
from service.valuation.estimator import months_between, working_unit_cents
from service.valuation.models import FleetValue
from service.valuation.policy import ValuationPolicy

IN_SERVICE = ("in_stock", "in_use", "in_repair")
_IN_SERVICE_SQL = ", ".join(f"'{s}'" for s in IN_SERVICE)


def _case(column: str, table: dict[str, Any], cast: str) -> str:
    whens = " ".join(f"WHEN '{key}' THEN CAST('{value}' AS {cast})" for key, value in table.items())
    return f"CASE {column} {whens} END"


def _postgres_sql(policy: ValuationPolicy) -> str:
    decay = _case("m.category", policy.monthly_decay, "numeric")
    grade = _case("d.condition_grade", policy.grade_factor, "numeric")
    parts = _case("m.category", policy.parts_value_cents, "bigint")
    months = (
        "GREATEST(0, (EXTRACT(YEAR FROM CAST(:today AS date)) - EXTRACT(YEAR FROM d.purchase_date)) * 12"
        " + EXTRACT(MONTH FROM CAST(:today AS date)) - EXTRACT(MONTH FROM d.purchase_date)"
        " - CASE WHEN EXTRACT(DAY FROM CAST(:today AS date)) < EXTRACT(DAY FROM d.purchase_date) THEN 1 ELSE 0 END)"
    )
    working = f"ROUND(d.purchase_price_cents * ROUND(POWER(1 - {decay}, {months}), 6) * {grade})"
    return (
        "INSERT INTO fleet_values (device_id, value_cents, policy_version, computed_at) "
        f"SELECT d.id, CAST(GREATEST(LEAST({parts}, d.purchase_price_cents), {working}) AS bigint), "
        ":version, :now FROM devices d JOIN device_models m ON m.id = d.model_id "
        f"WHERE d.status IN ({_IN_SERVICE_SQL})"
    )


def value_in_service(
    price_cents: int, purchase: date, category: str, grade: str, policy: ValuationPolicy, today: date
) -> int:
    """The market value of a working unit, floored at its parts value: what the SQL computes."""
    working = working_unit_cents(price_cents, months_between(purchase, today), category, grade, policy)
    return max(min(policy.parts_value_cents[category], price_cents), working)


async def revalue_fleet(session: AsyncSession, policy: ValuationPolicy, version: int, today: date) -> dict[str, int]:
    now = utcnow()
    if is_postgres(session):
        # TRUNCATE is transactional in PostgreSQL: readers see the old figures until this commits.
        await session.execute(sa.text("TRUNCATE fleet_values"))
        await session.execute(sa.text(_postgres_sql(policy)), {"today": today, "version": version, "now": now})
    else:
        await session.execute(sa.delete(FleetValue))
        await _revalue_streaming(session, policy, version, today, now)
    total, count = (
        await session.execute(sa.select(sa.func.coalesce(sa.func.sum(FleetValue.value_cents), 0), sa.func.count()))
    ).one()
    return {"devices": int(count), "total_cents": int(total)}


async def _revalue_streaming(
    session: AsyncSession, policy: ValuationPolicy, version: int, today: date, now: Any
) -> None:
    query = sa.text(
        "SELECT d.id, d.purchase_price_cents, d.purchase_date, d.condition_grade, m.category "
        "FROM devices d JOIN device_models m ON m.id = d.model_id "
        f"WHERE d.status IN ({_IN_SERVICE_SQL}) ORDER BY d.id"
    )
    batch: list[dict[str, Any]] = []
    result = await session.stream(query)
    async for device_id, price, purchased, grade, category in result:
        purchased = purchased if isinstance(purchased, date) else date.fromisoformat(str(purchased))
        batch.append(
            {
                "device_id": device_id,
                "policy_version": version,
                "computed_at": now,
                "value_cents": value_in_service(price, purchased, category, grade, policy, today),
            }
        )
        if len(batch) >= 5000:
            await session.execute(sa.insert(FleetValue), batch)
            batch = []
    if batch:
        await session.execute(sa.insert(FleetValue), batch)


async def fleet_summary(session: AsyncSession) -> dict[str, Any]:
    from service.device_models.models import DeviceModel
    from service.devices.models import Device

    rows = (
        await session.execute(
            sa.select(
                DeviceModel.category,
                sa.func.count(),
                sa.func.sum(FleetValue.value_cents),
                sa.func.max(FleetValue.computed_at),
            )
            .join(Device, Device.id == FleetValue.device_id)
            .join(DeviceModel, DeviceModel.id == Device.model_id)
            .group_by(DeviceModel.category)
            .order_by(DeviceModel.category)
        )
    ).all()
    by_category = [{"category": c, "devices": int(n), "value_cents": int(v or 0)} for c, n, v, _ in rows]
    computed = max((r[3] for r in rows), default=None)
    return {
        "by_category": by_category,
        "total_cents": sum(r["value_cents"] for r in by_category),
        "computed_at": computed,
    }
