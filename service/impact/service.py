"""Impact use cases: the versioned factors, and the report built from stored data (reads only, except saving
factors). The report holds no time of its own: the only clock reading is today's date, for the age of the fleet
in a period that has not ended yet, so computing it twice gives the same document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.companies import service as companies
from service.companies.scope import current_scope
from service.compensation.rules import coverage_percent
from service.context import Actor
from service.db import utcnow
from service.errors import Conflict, InvalidInput
from service.i18n import N_, gettext
from service.impact import calculations as calc
from service.impact import procurement as buying
from service.impact import repository
from service.impact.factors import (
    BOAVIZTA,
    CLOSING_THE_LOOP,
    LIFETIME_METHOD,
    PEOPLE_SOURCE,
    PROCUREMENT_SOURCE,
    ImpactFactors,
    default_factors,
    factors_from_json,
    fingerprint,
)
from service.impact.models import ImpactFactorVersion
from service.impact.period import Period, PeriodError, Window, check_group_by, resolve_period
from service.money import format_cents, round_places
from service.settings import Settings

UNCOVERED_LIMIT = 100
Progress = Callable[[str], None]


async def current_factors(session: AsyncSession, settings: Settings) -> tuple[int, ImpactFactors, bool]:
    """(version, factors, saved). Before an admin saves any, the defaults (with the settings' baseline and
    programme start) are version 1; their fingerprint still names exactly what was used."""
    row = (
        await session.exec(
            select(ImpactFactorVersion).order_by(ImpactFactorVersion.version.desc()).limit(1)  # type: ignore[attr-defined]
        )
    ).first()
    if row is None:
        return 1, default_factors(settings.replacement_baseline_months, settings.compensation_start_date), False
    return row.version, factors_from_json(row.data), True


async def save_factors(
    session: AsyncSession, actor: Actor, settings: Settings, factors: ImpactFactors, note: str
) -> int:
    version, current, saved = await current_factors(session, settings)
    if saved and current == factors:
        raise Conflict(gettext("These are the current impact factors already; nothing changed."))
    # The unsaved defaults count as version 1, so the first saved change is version 2 and never renames them.
    new_version = version + 1
    row = ImpactFactorVersion(
        version=new_version, data=factors.model_dump(mode="json"), note=note, created_by=actor.name
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(
            gettext(
                "Impact factors version {version} was saved by someone else a moment ago; reload and "
                "make your change again."
            ).format(version=new_version)
        ) from None
    await audit.record(
        session,
        actor,
        "impact_factors.create",
        "impact_factors",
        new_version,
        after={"version": new_version, "note": note, "data": row.data},
    )
    return new_version


def period_of(
    *, year: int | None, quarter: int | None, from_: str | None, to: str | None, group_by: str | None, today: date
) -> tuple[Period, str]:
    """The period and grouping asked for, or a 422 naming the parameter."""
    try:
        return resolve_period(year=year, quarter=quarter, from_=from_, to=to, today=today), check_group_by(group_by)
    except PeriodError as exc:
        raise InvalidInput.field(exc.field, str(exc)) from None


def _rows(rows: list[calc.Row]) -> list[dict[str, Any]]:
    return [
        {"group": r.group, "flags": r.flags, "figures": {k: f.as_json() for k, f in r.figures.items()}} for r in rows
    ]


def _chart(
    title: str,
    unit: str,
    labels: list[str],
    series: list[tuple[str, list[Any]]],
    source: str,
    method: str,
    reference: tuple[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "title": title,
        "unit": unit,
        "labels": labels,
        "method": method,
        "source": source,
        "series": [{"name": n, "values": [str(v) for v in vs]} for n, vs in series],
        "reference": None if reference is None else {"label": reference[0], "value": str(reference[1])},
    }


def _sum(rows: list[calc.Row], name: str) -> Decimal:
    return sum((Decimal(r.figures[name].value or 0) for r in rows), Decimal(0))


async def build_report(
    session: AsyncSession,
    settings: Settings,
    period: Period,
    group_by: str,
    progress: Progress | None = None,
    *,
    company_id: int | None = None,
    cost_centre: str | None = None,
) -> dict[str, Any]:
    """The report for a period, of one company (``company_id``) or of every company the user may see, and of
    one cost centre or all."""
    step = progress or (lambda _name: None)
    version, factors, saved = await current_factors(session, settings)
    factor_version = f"v{version}/{fingerprint(factors)}"
    ctx = calc.Context(factors, factor_version)
    visible = await companies.all_companies(session)
    if company_id is not None and company_id not in {c.id for c in visible}:
        raise InvalidInput.field("company_id", gettext("no company has id {id}").format(id=company_id))
    scope = current_scope()
    company_ids = (company_id,) if company_id is not None else scope
    w = Window.of(
        period, settings.tz, group_by, factors.programme_start,
        company_ids=company_ids, cost_centre=cost_centre or None,
        company_names=tuple((c.id, c.name) for c in visible if c.id is not None),
    )  # fmt: skip
    categories = settings.compensation_category_list
    baseline = factors.baseline_months

    replaced = await repository.replacements(session, w, baseline)
    lifetime_aggs, by_year, ages = replaced.in_period, replaced.by_year, replaced.ages
    lifetime_rows = [calc.lifetime_row(a, ctx) for a in lifetime_aggs]
    step("lifetime")
    coverage_aggs, quarters = await repository.one_for_one(session, w, categories)
    coverage_rows = [calc.coverage_row(a, ctx) for a in coverage_aggs]
    uncovered = await repository.uncovered(session, w, categories, UNCOVERED_LIMIT)
    step("one for one")
    second = calc.second_life_rows(await repository.second_life(session, w), ctx)
    pool_row, charity_rows = calc.money_rows(
        await repository.pooled_cents(session, w), await repository.charities(session, w), ctx
    )
    months = await repository.pool_by_month(session, w)
    step("money")
    purchase_aggs, models = await repository.purchases(session, w)
    procurement = buying.procurement_rows(purchase_aggs, models, ctx)
    step("procurement")
    fleet = calc.age_histogram(await repository.fleet_age(session, min(period.end, _today(settings)), w))
    step("fleet")

    owed, compensated = int(_sum(coverage_rows, "owed")), int(_sum(coverage_rows, "compensated"))
    early = sum(int(r.figures["replaced_early"].value or 0) for r in lifetime_rows)
    totals = {
        "replaced": ctx.figure(
            int(_sum(lifetime_rows, "replaced")), "devices", "count_fault_replaced", calc.REGISTRY_SOURCE
        ),
        "replaced_early": ctx.figure(
            early,
            "devices",
            "count_replaced_before_baseline",
            calc.REGISTRY_SOURCE,
            note=N_("counted in the net figure as negative contributions") if early else "",
        ),
        "co2e_avoided_kg": ctx.figure(
            calc.net_co2e(lifetime_aggs, factors),
            "kg CO2e",
            "lifetime_extension",
            f"{BOAVIZTA}; {LIFETIME_METHOD}",
            baseline_months=baseline,
        ),
        "owed": ctx.figure(owed, "devices", "count_owing_compensation", calc.REGISTRY_SOURCE),
        "compensated": ctx.figure(compensated, "devices", "count_compensated_with_reference", calc.REGISTRY_SOURCE),
        "share_covered_percent": ctx.figure(
            coverage_percent(compensated, owed),
            "%",
            "compensated / owed",
            calc.REGISTRY_SOURCE,
            compensated=compensated,
            owed=owed,
        ),
        "ewaste_kg": ctx.figure(_sum(coverage_rows, "ewaste_kg"), "kg", "sum_of_weights", BOAVIZTA),
        "people_reached": ctx.figure(
            int(_sum(charity_rows, "people_reached")), "people", "paid / cost per refurbished device", PEOPLE_SOURCE
        ),
    }
    years = sorted(y for y in by_year if y <= period.end.year)[-6:]
    month_keys = period.months()
    age_categories = sorted(ages)
    charts = {
        "fleet_age": _chart(
            "Devices in service by age",
            "devices",
            [b for b, _ in fleet],
            [("devices", [n for _, n in fleet])],
            calc.REGISTRY_SOURCE,
            N_("whole years from purchase to the report date"),
        ),
        "replacement_age": _chart(
            "Average age at replacement against the fixed cycle",
            "months",
            age_categories,
            [("average age", [round_places(Decimal(ages[c][1]) / ages[c][0], 1) for c in age_categories])],
            calc.REGISTRY_SOURCE,
            N_("average whole months from purchase to replacement"),
            reference=(f"fixed cycle {baseline} months", baseline),
        ),
        "pool_by_month": _chart(
            "Pool in and out per month",
            settings.currency,
            [f"{y}-{m:02d}" for y, m in month_keys],
            [
                ("in", [format_cents(months.get(k, (0, 0))[0]) for k in month_keys]),
                ("out", [format_cents(months.get(k, (0, 0))[1]) for k in month_keys]),
            ],
            calc.LEDGER_SOURCE,
            N_("sum of positive and of negative pool entries by UTC month"),
        ),
        "coverage_by_quarter": _chart(
            "One-for-one coverage by purchase quarter",
            "devices",
            [f"{y} Q{q}" for y, q, _, _ in quarters],
            [("owed", [n for _, _, n, _ in quarters]), ("compensated", [c for _, _, _, c in quarters])],
            calc.REGISTRY_SOURCE,
            N_("devices bought since the programme start, by purchase quarter"),
        ),
        "co2e_by_year": _chart(
            "Net CO2e avoided by year of replacement",
            "kg CO2e",
            [str(y) for y in years],
            [("net kg CO2e", [calc.net_co2e(by_year[y], factors) for y in years])],
            f"{BOAVIZTA}; {LIFETIME_METHOD}",
            N_("lifetime_extension, early replacements counted negative"),
        ),
    }
    return {
        "report": "kringloop-impact",
        "method_version": calc.METHOD_VERSION,
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "label": period.label},
        "group_by": group_by,
        "filters": {
            "company": None if company_id is None else next(c.name for c in visible if c.id == company_id),
            "company_id": company_id,
            "cost_centre": cost_centre or None,
        },
        "currency": settings.currency,
        "factors": {
            "version": version,
            "saved": saved,
            "fingerprint": fingerprint(factors),
            "label": factor_version,
            "values": factors.model_dump(mode="json"),
        },
        "totals": {k: f.as_json() for k, f in totals.items()},
        "lifetime_extension": {"rows": _rows(lifetime_rows)},
        "one_for_one": {
            "categories": list(categories),
            "rows": _rows(coverage_rows),
            "uncovered_count": owed - compensated,
            "uncovered": [
                {
                    "device_id": r.id,
                    "asset_tag": r.asset_tag,
                    "purchase_date": r.purchase_date.isoformat(),
                    "category": r.category,
                    "model": r.model,
                    "obligation": r.obligation,
                }
                for r in uncovered
            ],
        },
        "second_life": {"rows": _rows(second)},
        "money": {"pool": _rows([pool_row])[0], "charities": _rows(charity_rows)},
        "procurement": {"attributes": list(buying.ATTRIBUTES), "rows": _rows(procurement)},
        "charts": charts,
        "methods": METHODS,
    }


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


METHODS = [
    {
        "name": "lifetime_extension",
        "text": N_(
            "Against a fixed replacement cycle of B months, a device used A months avoids manufacturing_kg x "
            "(A / B - 1) kg CO2e: the share of a new device's manufacturing the fixed cycle would have spent in the "
            "same time. A device replaced before the baseline gives a negative contribution, shown on its own as "
            "'replaced early' and included in the net figure, never clamped. Fault-replaced: retired with a successor "
            "registered through replaces_id. Age: whole months from purchase to the UTC date of the retirement."
        ),
        "source": BOAVIZTA,
    },
    {
        "name": "one_for_one",
        "text": N_(
            "Devices of the compensated categories bought on or after the programme start "
            "owe one e-waste compensation; compensated means the partner confirmed it with a reference. Weight: the "
            "model's, else the category's factor; a device of unknown weight is counted apart, not guessed."
        ),
        "source": f"{BOAVIZTA}; {CLOSING_THE_LOOP}",
    },
    {
        "name": "second_life",
        "text": N_(
            "Devices sold to a refurbisher or donated in kind after a verified wipe, by "
            "counterparty, when the disposal was recorded in the period."
        ),
        "source": calc.REGISTRY_SOURCE,
    },
    {
        "name": "money_and_people",
        "text": N_(
            "Pooled: credits and adjustments in the period. Donated: donations approved in the period; paid: paid in "
            "the period. People reached = paid / the charity's cost per refurbished device, rounded down."
        ),
        "source": PEOPLE_SOURCE,
    },
    {
        "name": "procurement",
        "text": N_(
            "Share of the devices bought in the period, by count and by purchase price, "
            "whose model meets each attribute on the purchase date (a certificate must not have expired). A device "
            "without a purchase price counts in the count share and adds nothing to spend."
        ),
        "source": PROCUREMENT_SOURCE,
    },
]
