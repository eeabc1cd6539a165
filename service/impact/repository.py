"""The impact report's queries: set-based aggregates (GROUP BY in the database), never one row per device.

Ages are whole months from the purchase date to the UTC calendar date of the retirement (or to the report date),
counted as service/valuation/estimator.months_between counts them: a month counts once its day-of-month is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.charities.models import Charity
from service.compensation.models import CompensationObligation
from service.db import is_postgres
from service.device_models.models import DeviceModel
from service.devices.lifecycle import Move
from service.devices.models import Device, DeviceEvent
from service.donations.models import Donation
from service.impact.calculations import (
    CharityAggregate,
    CoverageAggregate,
    LifetimeAggregate,
    ModelAttributes,
    PurchaseAggregate,
    SecondLifeAggregate,
)
from service.impact.period import Window
from service.pool.models import PoolEntry
from service.valuation.models import Disposition

_dev: sa.Table = Device.__table__  # type: ignore[attr-defined]
_mod: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_ev: sa.Table = DeviceEvent.__table__  # type: ignore[attr-defined]
_obl: sa.Table = CompensationObligation.__table__  # type: ignore[attr-defined]
_disp: sa.Table = Disposition.__table__  # type: ignore[attr-defined]
_pool: sa.Table = PoolEntry.__table__  # type: ignore[attr-defined]
_don: sa.Table = Donation.__table__  # type: ignore[attr-defined]
_char: sa.Table = Charity.__table__  # type: ignore[attr-defined]

# period.GROUP_BYS -> the column that names a row's group (a company column joins here once companies exist).
GROUP_COLUMNS: dict[str, sa.ColumnElement[Any]] = {"category": _mod.c.category}
IN_SERVICE = ("in_stock", "in_use", "in_repair")
SECOND_LIFE = ("sold_to_refurbisher", "donated_in_kind")


def _part(session: AsyncSession, field: str, column: Any) -> sa.ColumnElement[int]:
    """Year, month or day of a date, or of a timestamp's UTC date, as an integer on both databases."""
    if is_postgres(session) and isinstance(column.type, sa.DateTime):
        column = sa.func.timezone("UTC", column)
    return sa.cast(sa.extract(field, column), sa.Integer)


def _months(session: AsyncSession, start: Any, end: Any) -> sa.ColumnElement[int]:
    """Whole months from ``start`` to ``end`` (columns, or a literal date for ``end``)."""
    if isinstance(end, date):
        y2, m2, d2 = sa.literal(end.year), sa.literal(end.month), sa.literal(end.day)
    else:
        y2, m2, d2 = _part(session, "year", end), _part(session, "month", end), _part(session, "day", end)
    y1, m1, d1 = _part(session, "year", start), _part(session, "month", start), _part(session, "day", start)
    months = (y2 - y1) * 12 + (m2 - m1) - sa.case((d2 < d1, 1), else_=0)
    return sa.case((months < 0, 0), else_=months)


def _replaced(session: AsyncSession, group: sa.ColumnElement[Any], until: datetime) -> sa.Subquery:
    """Fault-replaced devices (retired, with a successor registered through replaces_id) retired before ``until``:
    group, category, age at replacement in months, and the retirement's UTC year."""
    successor = _dev.alias("successor")
    return (
        sa.select(
            group.label("grp"),
            _mod.c.category.label("category"),
            _months(session, _dev.c.purchase_date, _ev.c.at).label("age"),
            _part(session, "year", _ev.c.at).label("year"),
            _ev.c.at.label("at"),
        )
        .select_from(_ev.join(_dev, _dev.c.id == _ev.c.device_id).join(_mod, _mod.c.id == _dev.c.model_id))
        .where(
            _ev.c.move == Move.retire.value,
            _ev.c.at < until,
            sa.exists().where(successor.c.replaces_id == _dev.c.id),
        )
        .subquery()
    )


def _lifetime_columns(sub: sa.Subquery, baseline: int) -> list[Any]:
    early = sub.c.age < baseline
    return [
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sub.c.age), 0),
        sa.func.coalesce(sa.func.sum(sa.case((early, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((early, sub.c.age), else_=0)), 0),
    ]


async def lifetime(session: AsyncSession, w: Window, baseline: int) -> list[LifetimeAggregate]:
    sub = _replaced(session, GROUP_COLUMNS[w.group_by], w.after)
    rows = await session.execute(
        sa.select(sub.c.grp, sub.c.category, *_lifetime_columns(sub, baseline))
        .where(sub.c.at >= w.first)
        .group_by(sub.c.grp, sub.c.category)
        .order_by(sub.c.grp, sub.c.category)
    )
    return [LifetimeAggregate(g, c, n, int(s), int(e), int(es)) for g, c, n, s, e, es in rows.all()]


async def lifetime_by_year(session: AsyncSession, w: Window, baseline: int) -> dict[int, list[LifetimeAggregate]]:
    """Every replacement up to the period's end, by its year (the CO2e per year chart)."""
    sub = _replaced(session, _mod.c.category, w.after)
    rows = await session.execute(
        sa.select(sub.c.year, sub.c.category, *_lifetime_columns(sub, baseline))
        .group_by(sub.c.year, sub.c.category)
        .order_by(sub.c.year)
    )
    out: dict[int, list[LifetimeAggregate]] = {}
    for year, c, n, s, e, es in rows.all():
        out.setdefault(int(year), []).append(LifetimeAggregate(c, c, n, int(s), int(e), int(es)))
    return out


async def replacement_ages(session: AsyncSession, w: Window) -> dict[str, tuple[int, int]]:
    """Per category: (devices, summed age) of fault-replaced devices in the period (the age vs baseline chart)."""
    sub = _replaced(session, _mod.c.category, w.after)
    rows = await session.execute(
        sa.select(sub.c.category, sa.func.count(), sa.func.sum(sub.c.age))
        .where(sub.c.at >= w.first)
        .group_by(sub.c.category)
    )
    return {c: (n, int(s)) for c, n, s in rows.all()}


def _owing(w: Window) -> tuple[Any, Any]:
    compensated = sa.and_(_obl.c.status == "compensated", _dev.c.purchase_date >= w.programme_start)
    joined = _dev.join(_mod, _mod.c.id == _dev.c.model_id).outerjoin(_obl, _obl.c.device_id == _dev.c.id)
    return joined, compensated


async def coverage(session: AsyncSession, w: Window, categories: Sequence[str]) -> list[CoverageAggregate]:
    joined, compensated = _owing(w)
    owed = _dev.c.purchase_date >= w.programme_start
    group = GROUP_COLUMNS[w.group_by]
    statement = (
        sa.select(
            group,
            _mod.c.category,
            sa.func.sum(sa.case((owed, 1), else_=0)),
            sa.func.sum(sa.case((compensated, 1), else_=0)),
            sa.func.sum(sa.case((compensated, sa.func.coalesce(_mod.c.weight_grams, 0)), else_=0)),
            sa.func.sum(sa.case((sa.and_(compensated, _mod.c.weight_grams.is_(None)), 1), else_=0)),
            sa.func.sum(sa.case((owed, 0), else_=1)),
        )
        .select_from(joined)
        .where(_dev.c.purchase_date.between(w.start, w.end), _mod.c.category.in_(list(categories)))
        .group_by(group, _mod.c.category)
        .order_by(group, _mod.c.category)
    )
    return [CoverageAggregate(g, c, *(int(v or 0) for v in rest)) for g, c, *rest in (await session.execute(statement))]


async def uncovered(session: AsyncSession, w: Window, categories: Sequence[str], limit: int) -> list[sa.Row[Any]]:
    """The devices that owe a compensation with no partner reference yet, oldest purchase first."""
    joined, _ = _owing(w)
    statement = (
        sa.select(
            _dev.c.id,
            _dev.c.asset_tag,
            _dev.c.purchase_date,
            _mod.c.category,
            _mod.c.name.label("model"),
            sa.func.coalesce(_obl.c.status, "none").label("obligation"),
        )
        .select_from(joined)
        .where(
            _dev.c.purchase_date.between(max(w.start, w.programme_start), w.end),
            _mod.c.category.in_(list(categories)),
            sa.or_(_obl.c.status.is_(None), _obl.c.status != "compensated"),
        )
        .order_by(_dev.c.purchase_date, _dev.c.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def coverage_by_quarter(session: AsyncSession, w: Window, categories: Sequence[str]) -> list[tuple[Any, ...]]:
    """(year, quarter, owed, compensated) from the programme start to the period's end, by purchase quarter."""
    joined, compensated = _owing(w)
    year = _part(session, "year", _dev.c.purchase_date)
    quarter = (_part(session, "month", _dev.c.purchase_date) + 2) // 3
    statement = (
        sa.select(year, quarter, sa.func.count(), sa.func.sum(sa.case((compensated, 1), else_=0)))
        .select_from(joined)
        .where(_dev.c.purchase_date.between(w.programme_start, w.end), _mod.c.category.in_(list(categories)))
        .group_by(year, quarter)
        .order_by(year, quarter)
    )
    return [(int(y), int(q), n, int(c or 0)) for y, q, n, c in (await session.execute(statement)).all()]


async def second_life(session: AsyncSession, w: Window) -> list[SecondLifeAggregate]:
    group = GROUP_COLUMNS[w.group_by]
    statement = (
        sa.select(
            group,
            _disp.c.disposition,
            _disp.c.counterparty,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(_disp.c.realised_cents), 0),
        )
        .select_from(_disp.join(_dev, _dev.c.id == _disp.c.device_id).join(_mod, _mod.c.id == _dev.c.model_id))
        .where(_disp.c.disposition.in_(SECOND_LIFE), _disp.c.recorded_at >= w.first, _disp.c.recorded_at < w.after)
        .group_by(group, _disp.c.disposition, _disp.c.counterparty)
        .order_by(group, _disp.c.disposition, _disp.c.counterparty)
    )
    return [SecondLifeAggregate(g, d, c, n, int(s)) for g, d, c, n, s in (await session.execute(statement)).all()]


async def pooled_cents(session: AsyncSession, w: Window) -> int:
    statement = sa.select(sa.func.coalesce(sa.func.sum(_pool.c.amount_cents), 0)).where(
        _pool.c.kind.in_(("credit", "adjustment")), _pool.c.at >= w.first, _pool.c.at < w.after
    )
    return int((await session.execute(statement)).scalar_one())


async def pool_by_month(session: AsyncSession, w: Window) -> dict[tuple[int, int], tuple[int, int]]:
    """(year, month) -> (cents into the pool, cents out of it), by the entries' UTC month."""
    year, month = _part(session, "year", _pool.c.at), _part(session, "month", _pool.c.at)
    amount = _pool.c.amount_cents
    statement = (
        sa.select(
            year,
            month,
            sa.func.sum(sa.case((amount > 0, amount), else_=0)),
            sa.func.sum(sa.case((amount < 0, -amount), else_=0)),
        )
        .where(_pool.c.at >= w.first, _pool.c.at < w.after)
        .group_by(year, month)
    )
    return {(int(y), int(m)): (int(i), int(o)) for y, m, i, o in (await session.execute(statement)).all()}


def _sum_when(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, _don.c.amount_cents), else_=0)), 0)


async def charities(session: AsyncSession, w: Window) -> list[CharityAggregate]:
    approved = sa.and_(
        _don.c.status.in_(("approved", "paid", "acknowledged")),
        _don.c.approved_at >= w.first,
        _don.c.approved_at < w.after,
    )
    paid = sa.and_(_don.c.status.in_(("paid", "acknowledged")), _don.c.paid_at >= w.first, _don.c.paid_at < w.after)
    statement = (
        sa.select(_char.c.name, _sum_when(approved), _sum_when(paid), _char.c.cost_per_device_cents)
        .select_from(_char.outerjoin(_don, _don.c.charity_id == _char.c.id))
        .group_by(_char.c.id, _char.c.name, _char.c.cost_per_device_cents)
        .order_by(_char.c.name)
    )
    return [CharityAggregate(n, int(d), int(p), c) for n, d, p, c in (await session.execute(statement)).all()]


async def purchases(session: AsyncSession, w: Window) -> tuple[list[PurchaseAggregate], dict[int, ModelAttributes]]:
    group = GROUP_COLUMNS[w.group_by]
    statement = (
        sa.select(
            group,
            _dev.c.model_id,
            _dev.c.purchase_date,
            sa.func.count(),
            sa.func.sum(_dev.c.purchase_price_cents),
            sa.func.sum(sa.case((_dev.c.purchase_price_cents == 0, 1), else_=0)),
        )
        .select_from(_dev.join(_mod, _mod.c.id == _dev.c.model_id))
        .where(_dev.c.purchase_date.between(w.start, w.end))
        .group_by(group, _dev.c.model_id, _dev.c.purchase_date)
    )
    aggs = [PurchaseAggregate(g, m, d, n, int(s), int(u)) for g, m, d, n, s, u in (await session.execute(statement))]
    ids = sorted({a.model_id for a in aggs})
    models: dict[int, ModelAttributes] = {}
    for chunk in (ids[i : i + 1000] for i in range(0, len(ids), 1000)):
        rows = await session.execute(
            sa.select(
                _mod.c.id,
                _mod.c.e_waste_compensated,
                _mod.c.certifications,
                _mod.c.declared_lifetime_months,
                _mod.c.repairability_tenths,
            ).where(_mod.c.id.in_(chunk))
        )
        for model_id, ewaste, certs, lifetime_months, tenths in rows.all():
            schemes = tuple(
                (c["scheme"], date.fromisoformat(c["expires_on"]) if c.get("expires_on") else None) for c in certs or []
            )
            models[model_id] = ModelAttributes(bool(ewaste), schemes, lifetime_months, tenths)
    return aggs, models


async def fleet_age(session: AsyncSession, on: date) -> dict[int, int]:
    """Devices in service now, by whole years of age on ``on``."""
    years = _months(session, _dev.c.purchase_date, on) // 12
    statement = (
        sa.select(years, sa.func.count())
        .where(_dev.c.status.in_(IN_SERVICE), _dev.c.purchase_date <= on)
        .group_by(years)
    )
    return {int(y): n for y, n in (await session.execute(statement)).all()}
