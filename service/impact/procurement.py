"""Procurement figures (Buyer Group ICT criteria): the share of purchases whose model meets each attribute.
Pure code, like calculations.py, whose Context and Row it uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from service.compensation.rules import coverage_percent
from service.impact.calculations import REGISTRY_SOURCE, Context, Row
from service.impact.factors import PROCUREMENT_SOURCE, ImpactFactors
from service.money import format_cents


@dataclass(frozen=True)
class ModelAttributes:
    e_waste_compensated: bool
    certifications: tuple[tuple[str, date | None], ...]  # (scheme, expires_on)
    declared_lifetime_months: int | None
    repairability_tenths: int | None


@dataclass(frozen=True)
class PurchaseAggregate:
    group: str
    model_id: int
    purchase_date: date
    devices: int
    spend_cents: int
    unpriced: int  # devices with no purchase price (0): counted, adding nothing to spend


def attributes_met(model: ModelAttributes, bought: date, factors: ImpactFactors) -> list[str]:
    """The procurement attributes a purchase meets on its purchase date (a certificate must not have expired)."""
    met = []
    if model.e_waste_compensated:
        met.append("e_waste_compensated")
    for scheme, expires in model.certifications:
        if expires is None or expires >= bought:
            met.append(scheme)
    if (
        model.declared_lifetime_months is not None
        and model.declared_lifetime_months >= factors.min_declared_lifetime_months
    ):
        met.append("long_declared_lifetime")
    whole, _, tenth = factors.min_repairability_score.partition(".")
    if model.repairability_tenths is not None and model.repairability_tenths >= int(whole) * 10 + int(tenth or 0):
        met.append("repairable")
    return list(dict.fromkeys(met))


ATTRIBUTES = (
    "e_waste_compensated",
    "EPEAT",
    "TCO Certified",
    "TCO Certified Edge",
    "Blue Angel",
    "EU Ecolabel",
    "long_declared_lifetime",
    "repairable",
)


def procurement_rows(
    aggs: Iterable[PurchaseAggregate], models: Mapping[int, ModelAttributes], ctx: Context
) -> list[Row]:
    """Per group: for each attribute the share of purchases meeting it, by count and by spend."""
    totals: dict[str, list[int]] = {}
    met: dict[tuple[str, str], list[int]] = {}
    for a in aggs:
        t = totals.setdefault(a.group, [0, 0, 0])
        t[0], t[1], t[2] = t[0] + a.devices, t[1] + a.spend_cents, t[2] + a.unpriced
        for attribute in attributes_met(models[a.model_id], a.purchase_date, ctx.factors):
            m = met.setdefault((a.group, attribute), [0, 0])
            m[0], m[1] = m[0] + a.devices, m[1] + a.spend_cents
    rows = []
    for group in sorted(totals):
        count, spend, unpriced = totals[group]
        row = Row(group)
        row.figures["purchases"] = ctx.figure(count, "devices", "count_purchases", REGISTRY_SOURCE, unpriced=unpriced)
        row.figures["spend"] = ctx.figure(
            format_cents(spend),
            "currency",
            "sum_purchase_price",
            REGISTRY_SOURCE,
            note=f"{unpriced} device(s) without a purchase price" if unpriced else "",
        )
        for attribute in ATTRIBUTES:
            n, cents = met.get((group, attribute), [0, 0])
            row.figures[f"{attribute}_count_percent"] = ctx.figure(
                coverage_percent(n, count), "%", "share_by_count", PROCUREMENT_SOURCE, meeting=n, purchases=count
            )
            row.figures[f"{attribute}_spend_percent"] = ctx.figure(
                coverage_percent(cents, spend),
                "%",
                "share_by_spend",
                PROCUREMENT_SOURCE,
                meeting=format_cents(cents),
                spend=format_cents(spend),
            )
        rows.append(row)
    return rows
