"""The impact formulas. Pure code: plain aggregates in (from repository.py), figures with their provenance out.

Every figure carries the inputs it was computed from, its method, the method version, the factor version and the
source of its factors, so anyone can redo it by hand (and a test does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from service.charities.rules import people_reached
from service.compensation.rules import coverage_percent
from service.i18n import N_
from service.impact.factors import (
    CLOSING_THE_LOOP,
    LIFETIME_METHOD,
    PEOPLE_SOURCE,
    ImpactFactors,
    factor_source,
)
from service.money import format_cents, round_places

# Bumped whenever a formula below changes meaning, so old exports say which rules made them.
METHOD_VERSION = "impact-1"
LEDGER_SOURCE = N_("Kringloop pool ledger and donations (stored entries)")
REGISTRY_SOURCE = N_("Kringloop registry (stored devices, dispositions and obligations)")


@dataclass(frozen=True)
class Figure:
    value: str | None  # None: not computable (a missing factor), said so in ``note``
    unit: str
    method: str
    source: str
    inputs: Mapping[str, Any]
    method_version: str
    factor_version: str
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "method": self.method,
            "method_version": self.method_version,
            "factor_version": self.factor_version,
            "source": self.source,
            "inputs": dict(self.inputs),
            "note": self.note,
        }


@dataclass(frozen=True)
class Context:
    factors: ImpactFactors
    factor_version: str

    def figure(self, value: Any, unit: str, method: str, source: str, note: str = "", **inputs: Any) -> Figure:
        text = None if value is None else str(value)
        clean = {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in inputs.items()}
        return Figure(text, unit, method, source, clean, METHOD_VERSION, self.factor_version, note)


@dataclass
class Row:
    group: str
    figures: dict[str, Figure] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


# ---- lifetime extension -------------------------------------------------------------------------------------


def co2e_avoided_kg(manufacturing_kg: Decimal, age_months: int, baseline_months: int) -> Decimal:
    """reference/impact.md: manufacturing_kg x (A / B - 1). Negative for a device replaced before the baseline:
    reported as such (flagged 'replaced early'), never clamped to zero."""
    return manufacturing_kg * (Decimal(age_months) - baseline_months) / baseline_months


@dataclass(frozen=True)
class LifetimeAggregate:
    """Fault-replaced devices of one group and category: how many, and the sum of their ages at replacement,
    split at the baseline (so the early ones can be shown on their own)."""

    group: str
    category: str
    replaced: int
    age_months_sum: int
    early: int
    early_age_months_sum: int


def _sum_co2e(mfg: Decimal, age_sum: int, devices: int, baseline: int) -> Decimal:
    # The per-device formula summed: mfg x (sum A - n B) / B, exact, rounded once at the end.
    return mfg * (Decimal(age_sum) - devices * baseline) / baseline


def lifetime_row(agg: LifetimeAggregate, ctx: Context) -> Row:
    f, baseline = ctx.factors, ctx.factors.baseline_months
    mfg = f.manufacturing(agg.category)
    row = Row(agg.group)
    average = round_places(Decimal(agg.age_months_sum) / agg.replaced, 1) if agg.replaced else None
    source = factor_source(agg.category, "manufacturing")
    row.figures["replaced"] = ctx.figure(agg.replaced, "devices", "count_fault_replaced", REGISTRY_SOURCE)
    row.figures["average_age_months"] = ctx.figure(
        average,
        "months",
        "average_age_at_replacement",
        REGISTRY_SOURCE,
        age_months_sum=agg.age_months_sum,
        devices=agg.replaced,
    )
    row.figures["baseline_months"] = ctx.figure(baseline, "months", "fixed_replacement_cycle", "impact factors")
    declared = f.declared_lifetime_months.get(agg.category)
    row.figures["declared_lifetime_months"] = ctx.figure(
        declared,
        "months",
        "declared_lifetime",
        factor_source(agg.category, "lifetime"),
        note="" if declared is not None else N_("no declared lifetime for this category"),
    )
    late, late_sum = agg.replaced - agg.early, agg.age_months_sum - agg.early_age_months_sum
    inputs = {"manufacturing_kg": mfg, "baseline_months": baseline}
    if mfg is None:
        note = "no manufacturing factor for this category: no CO2e is claimed"
        for name in ("co2e_extended_kg", "co2e_early_kg", "co2e_avoided_kg"):
            row.figures[name] = ctx.figure(None, "kg CO2e", "lifetime_extension", source, note, **inputs)
    else:
        extended = round_places(_sum_co2e(mfg, late_sum, late, baseline), 1)
        early = round_places(_sum_co2e(mfg, agg.early_age_months_sum, agg.early, baseline), 1)
        net = round_places(_sum_co2e(mfg, agg.age_months_sum, agg.replaced, baseline), 1)
        row.figures["co2e_extended_kg"] = ctx.figure(
            extended,
            "kg CO2e",
            "lifetime_extension",
            f"{source}; {LIFETIME_METHOD}",
            devices=late,
            age_months_sum=late_sum,
            **inputs,
        )
        row.figures["co2e_early_kg"] = ctx.figure(
            early,
            "kg CO2e",
            "lifetime_extension",
            f"{source}; {LIFETIME_METHOD}",
            N_("replaced early: negative contribution of devices replaced before the baseline") if agg.early else "",
            devices=agg.early,
            age_months_sum=agg.early_age_months_sum,
            **inputs,
        )
        row.figures["co2e_avoided_kg"] = ctx.figure(
            net,
            "kg CO2e",
            "lifetime_extension",
            f"{source}; {LIFETIME_METHOD}",
            devices=agg.replaced,
            age_months_sum=agg.age_months_sum,
            **inputs,
        )
    row.figures["replaced_early"] = ctx.figure(agg.early, "devices", "count_replaced_before_baseline", REGISTRY_SOURCE)
    if agg.early:
        row.flags.append(f"replaced early: {agg.early} device(s) before {baseline} months")
    return row


def net_co2e(aggs: Iterable[LifetimeAggregate], factors: ImpactFactors) -> Decimal:
    """Net kg CO2e avoided over aggregates (categories without a factor count nothing), rounded to 0.1 kg."""
    total = Decimal(0)
    for a in aggs:
        mfg = factors.manufacturing(a.category)
        if mfg is not None:
            total += _sum_co2e(mfg, a.age_months_sum, a.replaced, factors.baseline_months)
    return round_places(total, 1)


# ---- one for one --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageAggregate:
    """Devices of one group and category bought in the period in a compensated category. ``owed`` counts those
    bought on or after the programme start; ``before_start`` those bought earlier (they owe nothing)."""

    group: str
    category: str
    owed: int
    compensated: int
    compensated_model_grams: int  # summed weight of compensated devices whose model records one
    compensated_no_model_weight: int  # compensated devices whose model records no weight
    before_start: int


def coverage_row(agg: CoverageAggregate, ctx: Context) -> Row:
    row = Row(agg.group)
    weight = ctx.factors.weight(agg.category)
    start = ctx.factors.programme_start
    row.figures["owed"] = ctx.figure(agg.owed, "devices", "count_owing_compensation", REGISTRY_SOURCE, since=start)
    row.figures["before_start"] = ctx.figure(
        agg.before_start,
        "devices",
        "count_bought_before_start",
        REGISTRY_SOURCE,
        since=start,
        note=N_("bought before the programme start: they owe no compensation"),
    )
    row.figures["compensated"] = ctx.figure(
        agg.compensated, "devices", "count_compensated_with_reference", REGISTRY_SOURCE
    )
    row.figures["share_covered_percent"] = ctx.figure(
        coverage_percent(agg.compensated, agg.owed),
        "%",
        "compensated / owed",
        REGISTRY_SOURCE,
        compensated=agg.compensated,
        owed=agg.owed,
    )
    grams = Decimal(agg.compensated_model_grams) / 1000
    unknown = 0
    if weight is None:
        unknown = agg.compensated_no_model_weight
    else:
        grams += weight * agg.compensated_no_model_weight
    kg = round_places(grams, 2)
    note = f"{unknown} device(s) of unknown weight not counted" if unknown else ""
    row.figures["ewaste_kg"] = ctx.figure(
        kg,
        "kg",
        "sum_of_weights",
        factor_source(agg.category, "weight"),
        note,
        model_grams=agg.compensated_model_grams,
        devices_with_category_weight=agg.compensated_no_model_weight,
        category_weight_kg=weight,
    )
    scrap = ctx.factors.scrap_phone_kg
    row.figures["scrap_phones"] = ctx.figure(
        int(round_places(kg / Decimal(scrap), 0)),
        "scrap phones",
        "kg / kg per scrap phone",
        CLOSING_THE_LOOP,
        kg=kg,
        scrap_phone_kg=scrap,
    )
    if unknown:
        row.flags.append(note)
    return row


# ---- second life, money -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondLifeAggregate:
    group: str
    disposition: str
    counterparty: str
    devices: int
    realised_cents: int


def second_life_rows(aggs: Iterable[SecondLifeAggregate], ctx: Context) -> list[Row]:
    rows = []
    for a in aggs:
        row = Row(a.group)
        row.figures["devices"] = ctx.figure(
            a.devices,
            "devices",
            f"count_{a.disposition}",
            REGISTRY_SOURCE,
            counterparty=a.counterparty,
            disposition=a.disposition,
        )
        row.figures["realised"] = ctx.figure(
            format_cents(a.realised_cents), "currency", "sum_realised", REGISTRY_SOURCE, counterparty=a.counterparty
        )
        rows.append(row)
    return rows


@dataclass(frozen=True)
class CharityAggregate:
    name: str
    donated_cents: int  # approved in the period
    paid_cents: int  # paid in the period
    cost_per_device_cents: int


def money_rows(pooled_cents: int, charities: Iterable[CharityAggregate], ctx: Context) -> tuple[Row, list[Row]]:
    pool = Row("pool")
    pool.figures["pooled"] = ctx.figure(
        format_cents(pooled_cents), "currency", "sum_credits_and_adjustments", LEDGER_SOURCE
    )
    rows = []
    for c in charities:
        row = Row(c.name)
        row.figures["donated"] = ctx.figure(format_cents(c.donated_cents), "currency", "sum_approved", LEDGER_SOURCE)
        row.figures["paid"] = ctx.figure(format_cents(c.paid_cents), "currency", "sum_paid", LEDGER_SOURCE)
        people = people_reached(c.paid_cents, c.cost_per_device_cents)
        row.figures["people_reached"] = ctx.figure(
            people,
            "people",
            "paid / cost per refurbished device",
            PEOPLE_SOURCE,
            "" if people is not None else "the charity has no cost per refurbished device set",
            paid=format_cents(c.paid_cents),
            cost_per_device=format_cents(c.cost_per_device_cents),
        )
        rows.append(row)
    return pool, rows


# ---- chart series -------------------------------------------------------------------------------------------


AGE_BUCKETS = (N_("< 1 y"), N_("1-2 y"), N_("2-3 y"), N_("3-4 y"), N_("4-5 y"), N_("5-6 y"), N_("6 y +"))


def age_histogram(devices_by_whole_years: Mapping[int, int]) -> list[tuple[str, int]]:
    counts = [0] * len(AGE_BUCKETS)
    for years, n in devices_by_whole_years.items():
        counts[min(max(years, 0), len(AGE_BUCKETS) - 1)] += n
    return list(zip(AGE_BUCKETS, counts, strict=True))
