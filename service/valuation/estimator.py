"""Residual value estimates that explain themselves line by line. Pure code: no web, no database.

Methods: Snipe-IT's straight line with a floor (so users moving from it see the same figures),
declining balance, and the default market method for a device that is retired because it broke:
    max(parts floor, new price x retention(category, age) x grade factor - repair cost to resell)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from service.money import format_cents, round_half_up, round_places
from service.valuation.policy import ValuationPolicy


@dataclass(frozen=True)
class FaultFact:
    category: str
    # The diagnosed repair cost; None when undiagnosed (the policy's default for the fault applies).
    repair_cost_cents: int | None = None
    repairable: bool | None = None


@dataclass(frozen=True)
class DeviceFacts:
    category: str
    purchase_price_cents: int
    purchase_date: date
    condition_grade: str
    locked: bool = False
    faults: tuple[FaultFact, ...] = ()


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class Estimate:
    method: str
    policy_version: int
    value_cents: int
    lines: tuple[Line, ...]
    inputs: dict[str, Any] = field(default_factory=dict)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (a month counts once its day-of-month is reached)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(months, 0)


def straight_line_cents(cost_cents: int, months_elapsed: int, profile_months: int, floor_cents: int) -> int:
    """Snipe-IT's Depreciable::getLinearDepreciatedValue: m >= M -> F, else round(C - (C - F) * m / M, 2)."""
    if months_elapsed >= profile_months:
        return floor_cents
    return round_half_up(Decimal(cost_cents) - Decimal(cost_cents - floor_cents) * months_elapsed / profile_months)


def snipeit_floor_cents(cost_cents: int, floor_cents: int, floor_percent: str | None) -> int:
    if floor_percent is not None:
        return round_half_up(Decimal(cost_cents) * Decimal(floor_percent) / 100)
    return floor_cents


def declining_balance_cents(cost_cents: int, months_elapsed: int, yearly_rate: str, salvage_cents: int) -> int:
    """V = C * (1 - r)^(months / 12), never below salvage."""
    years = Decimal(months_elapsed) / 12
    factor = (1 - Decimal(yearly_rate)) ** years if years else Decimal(1)
    return max(salvage_cents, round_half_up(Decimal(cost_cents) * factor))


def retention(monthly_decay: str, months: int) -> Decimal:
    """Share of the new price a working unit still fetches, to six places (the set-based SQL does the same)."""
    return round_places((1 - Decimal(monthly_decay)) ** months, 6)


def working_unit_cents(price_cents: int, months: int, category: str, grade: str, policy: ValuationPolicy) -> int:
    r = retention(policy.monthly_decay[category], months)
    return round_half_up(Decimal(price_cents) * r * Decimal(policy.grade_factor[grade]))


def estimate(
    facts: DeviceFacts, policy: ValuationPolicy, policy_version: int, today: date, method: str | None = None
) -> Estimate:
    method = method or policy.method
    months = months_between(facts.purchase_date, today)
    inputs = {
        "category": facts.category,
        "purchase_price_cents": facts.purchase_price_cents,
        "purchase_date": facts.purchase_date.isoformat(),
        "condition_grade": facts.condition_grade,
        "locked": facts.locked,
        "age_months": months,
        "valued_on": today.isoformat(),
        "faults": [
            {"category": f.category, "repair_cost_cents": f.repair_cost_cents, "repairable": f.repairable}
            for f in facts.faults
        ],
    }
    lines = [
        Line("New price", format_cents(facts.purchase_price_cents), f"bought {facts.purchase_date.isoformat()}"),
        Line("Age", f"{months} months"),
    ]
    if facts.locked:
        lines.append(Line("Locked (activation lock or MDM)", "0.00", "a locked device remarkets at zero"))
        lines.append(Line("Estimated value", format_cents(0)))
        return Estimate(method, policy_version, 0, tuple(lines), inputs)
    if method == "straight_line":
        value = _straight_line(facts, months, policy, lines)
    elif method == "declining_balance":
        value = declining_balance_cents(
            facts.purchase_price_cents, months, policy.declining_rate, policy.declining_salvage_cents
        )
        lines.append(
            Line(
                f"Declining balance at {Decimal(policy.declining_rate) * 100:g} % a year",
                format_cents(value),
                f"salvage {format_cents(policy.declining_salvage_cents)}",
            )
        )
    else:
        method = "market"
        value = _market(facts, months, policy, lines)
    lines.append(Line("Estimated value", format_cents(value)))
    return Estimate(method, policy_version, value, tuple(lines), inputs)


def _straight_line(facts: DeviceFacts, months: int, policy: ValuationPolicy, lines: list[Line]) -> int:
    floor = snipeit_floor_cents(
        facts.purchase_price_cents, policy.straight_line_floor_cents, policy.straight_line_floor_percent
    )
    value = straight_line_cents(facts.purchase_price_cents, months, policy.straight_line_months, floor)
    floor_note = (
        f"{policy.straight_line_floor_percent} % of cost" if policy.straight_line_floor_percent else "fixed amount"
    )
    lines.append(
        Line(
            f"Straight line over {policy.straight_line_months} months",
            format_cents(value),
            f"floor {format_cents(floor)} ({floor_note}), as Snipe-IT computes it",
        )
    )
    return value


def _market(facts: DeviceFacts, months: int, policy: ValuationPolicy, lines: list[Line]) -> int:
    category, grade = facts.category, facts.condition_grade
    decay = Decimal(policy.monthly_decay[category])
    r = retention(policy.monthly_decay[category], months)
    lines.append(
        Line(
            f"Retention for a {category} at {months} months", f"{r}", f"{decay * 100:g} % a month (market resale curve)"
        )
    )
    lines.append(Line(f"Condition grade {grade}", f"x {policy.grade_factor[grade]}"))
    working = working_unit_cents(facts.purchase_price_cents, months, category, grade, policy)
    lines.append(Line("Value as a working unit", format_cents(working)))
    floor = min(policy.parts_value_cents[category], facts.purchase_price_cents)
    repairs, parts_only = 0, False
    for fault in facts.faults:
        if fault.repairable is False:
            parts_only = True
            lines.append(Line(f"Fault: {fault.category}", "parts only", "diagnosed as not repairable"))
            continue
        cost = fault.repair_cost_cents
        source = "diagnosed repair cost"
        if cost is None:
            cost = policy.fault_repair_cents.get(fault.category)
            source = "default repair cost for this fault"
        if cost is None:
            parts_only = True
            lines.append(Line(f"Fault: {fault.category}", "parts only", "not worth repairing to resell"))
            continue
        repairs += cost
        lines.append(Line(f"Repair to resell: {fault.category}", f"-{format_cents(cost)}", source))
    if parts_only:
        lines.append(Line("Parts and material value", format_cents(floor)))
        return floor
    value = working - repairs
    if value < floor:
        lines.append(Line("Parts and material floor applies", format_cents(floor)))
        return floor
    return value
