"""The impact report's queries: set-based aggregates (GROUP BY in the database), never one row per device.

Ages are whole months from the purchase date to the UTC calendar date of the retirement (or to the report date),
counted as service/valuation/estimator.months_between counts them: a month counts once its day-of-month is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
    SecondLifeAggregate,
)
from service.impact.period import Window
from service.impact.procurement import ModelAttributes, PurchaseAggregate
from service.pool.models import PoolEntry
from service.valuation.estimator import months_between
from service.valuation.models import Disposition

_dev: sa.Table = Device.__table__  # type: ignore[attr-defined]
_mod: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_ev: sa.Table = DeviceEvent.__table__  # type: ignore[attr-defined]
_obl: sa.Table = CompensationObligation.__table__  # type: ignore[attr-defined]
_disp: sa.Table = Disposition.__table__  # type: ignore[attr-defined]
_pool: sa.Table = PoolEntry.__table__  # type: ignore[attr-defined]
_don: sa.Table = Donation.__table__  # type: ignore[attr-defined]
_char: sa.Table = Charity.__table__  # type: ignore[attr-defined]



def group_column(w: Window) -> sa.ColumnElement[Any]:
    """The column that names a row's group (period.GROUP_BYS). Companies are named through a CASE over their
    handful of ids, so no query needs one more join for it."""
    if w.group_by == "company" and w.company_names:
        return sa.case(dict(w.company_names), value=_dev.c.company_id, else_=sa.cast(_dev.c.company_id, sa.String))
    if w.group_by == "cost_centre":
        return _dev.c.cost_centre
    return _mod.c.category


def _devices_in(w: Window) -> list[Any]:
    """The conditions on devices of the report's company and cost-centre filters."""
    conditions = []
    if w.company_ids is not None:
        conditions.append(_dev.c.company_id.in_(w.company_ids))
    if w.cost_centre is not None:
        conditions.append(_dev.c.cost_centre == w.cost_centre)
    return conditions


def _pool_in(w: Window) -> list[Any]:
    """The same filters on pool entries: their company's pool; for a cost centre, only its devices' entries."""
    conditions = []
    if w.company_ids is not None:
        conditions.append(_pool.c.company_id.in_(w.company_ids))
    if w.cost_centre is not None:
        conditions.append(_pool.c.device_id.in_(sa.select(_dev.c.id).where(*_devices_in(w))))
    return conditions
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


def _replaced(session: AsyncSession, group: sa.ColumnElement[Any], until: datetime, w: Window) -> sa.Subquery:
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
            *_devices_in(w),
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


@dataclass(frozen=True)
class Replacements:
    in_period: list[LifetimeAggregate]  # per group and category
    by_year: dict[int, list[LifetimeAggregate]]  # every year up to the period's end, per category
    ages: dict[str, tuple[int, int]]  # per category in the period: (devices, summed age)


async def replacements(session: AsyncSession, w: Window, baseline: int) -> Replacements:
    """One pass over the retirements up to the period's end, split by year and by whether they fall in it."""
    sub = _replaced(session, group_column(w), w.after, w)
    in_period = sa.case((sub.c.at >= w.first, 1), else_=0)
    rows = await session.execute(
        sa.select(sub.c.grp, sub.c.category, sub.c.year, in_period, *_lifetime_columns(sub, baseline)).group_by(
            sub.c.grp, sub.c.category, sub.c.year, in_period
        )
    )
    period: dict[tuple[str, str], list[int]] = {}
    years: dict[int, dict[str, list[int]]] = {}
    for grp, category, year, inside, *figures in rows.all():
        for target in (
            years.setdefault(int(year), {}).setdefault(category, [0, 0, 0, 0]),
            period.setdefault((grp, category), [0, 0, 0, 0]) if inside else None,
        ):
            if target is not None:
                for i, value in enumerate(figures):
                    target[i] += int(value)
    ages: dict[str, tuple[int, int]] = {}
    for (_grp, category), (n, total, _e, _es) in period.items():
        before = ages.get(category, (0, 0))
        ages[category] = (before[0] + n, before[1] + total)
    return Replacements(
        [LifetimeAggregate(g, c, *v) for (g, c), v in sorted(period.items())],
        {y: [LifetimeAggregate(c, c, *v) for c, v in sorted(cats.items())] for y, cats in sorted(years.items())},
        ages,
    )


def _owing(w: Window) -> tuple[Any, Any]:
    compensated = sa.and_(_obl.c.status == "compensated", _dev.c.purchase_date >= w.programme_start)
    joined = _dev.join(_mod, _mod.c.id == _dev.c.model_id).outerjoin(_obl, _obl.c.device_id == _dev.c.id)
    return joined, compensated


async def one_for_one(
    session: AsyncSession, w: Window, categories: Sequence[str]
) -> tuple[list[CoverageAggregate], list[tuple[int, int, int, int]]]:
    """One pass over the compensated categories' purchases: the period's coverage per group and category, and
    (year, quarter, owed, compensated) from the programme start to the period's end."""
    joined, compensated = _owing(w)
    owed = _dev.c.purchase_date >= w.programme_start
    inside = sa.case((_dev.c.purchase_date >= w.start, 1), else_=0)
    group = group_column(w)
    year = _part(session, "year", _dev.c.purchase_date)
    quarter = (_part(session, "month", _dev.c.purchase_date) + 2) // 3
    statement = (
        sa.select(
            group,
            _mod.c.category,
            year,
            quarter,
            inside,
            sa.func.sum(sa.case((owed, 1), else_=0)),
            sa.func.sum(sa.case((compensated, 1), else_=0)),
            sa.func.sum(sa.case((compensated, sa.func.coalesce(_mod.c.weight_grams, 0)), else_=0)),
            sa.func.sum(sa.case((sa.and_(compensated, _mod.c.weight_grams.is_(None)), 1), else_=0)),
            sa.func.sum(sa.case((owed, 0), else_=1)),
        )
        .select_from(joined)
        .where(
            _dev.c.purchase_date.between(min(w.start, w.programme_start), w.end),
            _mod.c.category.in_(list(categories)),
            *_devices_in(w),
        )
        .group_by(group, _mod.c.category, year, quarter, inside)
    )
    period: dict[tuple[str, str], list[int]] = {}
    quarters: dict[tuple[int, int], list[int]] = {}
    for g, c, y, q, in_period, *figures in (await session.execute(statement)).all():
        values = [int(v or 0) for v in figures]
        if in_period:
            target = period.setdefault((g, c), [0] * 5)
            for i, value in enumerate(values):
                target[i] += value
        if values[0]:  # owed: bought since the programme start
            series = quarters.setdefault((int(y), int(q)), [0, 0])
            series[0] += values[0]
            series[1] += values[1]
    return (
        [CoverageAggregate(g, c, *v) for (g, c), v in sorted(period.items())],
        [(y, q, n, done) for (y, q), (n, done) in sorted(quarters.items())],
    )


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
            *_devices_in(w),
        )
        .order_by(_dev.c.purchase_date, _dev.c.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).all())


async def second_life(session: AsyncSession, w: Window) -> list[SecondLifeAggregate]:
    group = group_column(w)
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
        .where(*_devices_in(w))
        .group_by(group, _disp.c.disposition, _disp.c.counterparty)
        .order_by(group, _disp.c.disposition, _disp.c.counterparty)
    )
    return [SecondLifeAggregate(g, d, c, n, int(s)) for g, d, c, n, s in (await session.execute(statement)).all()]


async def pooled_cents(session: AsyncSession, w: Window) -> int:
    statement = sa.select(sa.func.coalesce(sa.func.sum(_pool.c.amount_cents), 0)).where(
        _pool.c.kind.in_(("credit", "adjustment")), _pool.c.at >= w.first, _pool.c.at < w.after, *_pool_in(w)
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
        .where(_pool.c.at >= w.first, _pool.c.at < w.after, *_pool_in(w))
        .group_by(year, month)
    )
    return {(int(y), int(m)): (int(i), int(o)) for y, m, i, o in (await session.execute(statement)).all()}


def _donations_in(w: Window) -> list[Any]:
    """Donations are a company's (a cost centre gives none of its own): only the company filter applies."""
    return [] if w.company_ids is None else [_don.c.company_id.in_(w.company_ids)]


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
        .select_from(_char.outerjoin(_don, sa.and_(_don.c.charity_id == _char.c.id, *_donations_in(w))))
        .group_by(_char.c.id, _char.c.name, _char.c.cost_per_device_cents)
        .order_by(_char.c.name)
    )
    return [CharityAggregate(n, int(d), int(p), c) for n, d, p, c in (await session.execute(statement)).all()]


async def _model_attributes(session: AsyncSession) -> dict[int, ModelAttributes]:
    rows = await session.execute(
        sa.select(
            _mod.c.id,
            _mod.c.e_waste_compensated,
            _mod.c.certifications,
            _mod.c.declared_lifetime_months,
            _mod.c.repairability_tenths,
        )
    )
    models = {}
    for model_id, ewaste, certs, lifetime_months, tenths in rows.all():
        schemes = tuple(
            (c["scheme"], date.fromisoformat(c["expires_on"]) if c.get("expires_on") else None) for c in certs or []
        )
        models[model_id] = ModelAttributes(bool(ewaste), schemes, lifetime_months, tenths)
    return models


# Up to this many distinct certificate expiry dates are checked in one pass (a column pair each); beyond it the
# purchases are grouped per day instead, which is exact too, only slower.
MAX_EXPIRY_COLUMNS = 64


async def purchases(session: AsyncSession, w: Window) -> tuple[list[PurchaseAggregate], dict[int, ModelAttributes]]:
    """Purchases in the period per group and model. A certificate counts only for purchases on or before its
    expiry: for each expiry date the pass also counts (and sums) the purchases made by then, so a model's
    purchases split exactly at its certificates' expiry dates without grouping by day."""
    models = await _model_attributes(session)
    expiries = sorted({e for m in models.values() for _, e in m.certifications if e is not None})
    group = group_column(w)
    price = _dev.c.purchase_price_cents
    base = [sa.func.count(), sa.func.sum(price), sa.func.sum(sa.case((price == 0, 1), else_=0))]
    if len(expiries) > MAX_EXPIRY_COLUMNS:
        statement = (
            sa.select(group, _dev.c.model_id, _dev.c.purchase_date, *base)
            .select_from(_dev.join(_mod, _mod.c.id == _dev.c.model_id))
            .where(_dev.c.purchase_date.between(w.start, w.end), *_devices_in(w))
            .group_by(group, _dev.c.model_id, _dev.c.purchase_date)
        )
        rows = (await session.execute(statement)).all()
        return [PurchaseAggregate(g, m, d, n, int(s), int(u)) for g, m, d, n, s, u in rows], models
    by_expiry = []
    for expiry in expiries:
        by = _dev.c.purchase_date <= expiry
        by_expiry += [sa.func.sum(sa.case((by, 1), else_=0)), sa.func.sum(sa.case((by, price), else_=0))]
    statement = (
        sa.select(group, _dev.c.model_id, *base, *by_expiry)
        .select_from(_dev.join(_mod, _mod.c.id == _dev.c.model_id))
        .where(_dev.c.purchase_date.between(w.start, w.end), *_devices_in(w))
        .group_by(group, _dev.c.model_id)
    )
    aggs = []
    for g, model_id, n, spend, unpriced, *split in (await session.execute(statement)).all():
        # Cut the model's purchases into slices between consecutive expiry dates; each slice carries the date of
        # its last possible day, which is all attributes_met needs to judge a certificate.
        done_n = done_s = 0
        for k, expiry in enumerate(expiries):
            upto_n, upto_s = int(split[2 * k] or 0), int(split[2 * k + 1] or 0)
            if upto_n > done_n:
                aggs.append(PurchaseAggregate(g, model_id, expiry, upto_n - done_n, upto_s - done_s, 0))
                done_n, done_s = upto_n, upto_s
        rest = date.max if not expiries else expiries[-1] + timedelta(days=1)
        if n > done_n:
            aggs.append(PurchaseAggregate(g, model_id, rest, n - done_n, int(spend) - done_s, 0))
        if unpriced:  # carried on a zero-device slice: counted once in the group's unpriced total
            aggs.append(PurchaseAggregate(g, model_id, rest, 0, 0, int(unpriced)))
    return aggs, models


async def fleet_age(session: AsyncSession, on: date, w: Window) -> dict[int, int]:
    """Devices in service now, by whole years of age on ``on`` (grouped by purchase day in the database: a few
    thousand rows, aged here with the estimator's month count)."""
    statement = (
        sa.select(_dev.c.purchase_date, sa.func.count())
        .where(_dev.c.status.in_(IN_SERVICE), _dev.c.purchase_date <= on, *_devices_in(w))
        .group_by(_dev.c.purchase_date)
    )
    years: dict[int, int] = {}
    for bought, n in (await session.execute(statement)).all():
        age = months_between(bought, on) // 12
        years[age] = years.get(age, 0) + n
    return years
