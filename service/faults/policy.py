"""The replacement policy: repair a broken device, or replace it. Pure code: no web, no database.

DESIGN.md, "Fault-based replacement": replace only when the device is unrepairable, or when the repair would
cost more than a set share (default 50 %) of the device's value as a working unit. That value is the valuation
policy's market figure (service/valuation/estimator.py): new price x retention for the category at the device's
age x condition-grade factor. Every decision carries the policy version, the valuation policy version and the
reasons, so a decision can be read back years later exactly as it was made. Change ``RULES_VERSION`` whenever
the rules below change meaning; the parameters travel with each decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from service.money import format_cents, round_half_up, round_places
from service.valuation.estimator import months_between, retention, working_unit_cents
from service.valuation.policy import ValuationPolicy

# 1: straight-line book value; 2: the valuation policy's market value as a working unit.
RULES_VERSION = 2


class Outcome(StrEnum):
    repair = "repair"
    replace = "replace"

    @property
    def label(self) -> str:
        return "Repair" if self is Outcome.repair else "Replace"

    @property
    def colour(self) -> str:
        return "green" if self is Outcome.repair else "amber"


@dataclass(frozen=True)
class ReplacementPolicy:
    """The policy's parameters (configurable through settings); ``version`` names rules and parameters."""

    # Replace when the repair costs more than this share of the value as a working unit.
    max_repair_share: Decimal = Decimal("0.50")

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.max_repair_share <= Decimal(10):
            raise ValueError("max_repair_share must lie between 0 and 10 (0 % and 1000 %)")

    @property
    def version(self) -> str:
        return (
            f"replacement/{RULES_VERSION}: repair share {percent(self.max_repair_share)}, "
            "market value as a working unit"
        )

    def parameters(self) -> dict[str, str | int]:
        return {"rules_version": RULES_VERSION, "max_repair_share": str(self.max_repair_share)}


@dataclass(frozen=True)
class Diagnosis:
    repairable: bool
    # None: repairable, but no estimate yet (the service asks for one; the policy still answers).
    repair_cost_cents: int | None = None


@dataclass(frozen=True)
class WorkingValue:
    """What a working unit of the device is worth, and how that figure was reached (shown with the decision)."""

    cents: int
    basis: str
    # The inputs and factors behind ``cents``, stored with the decision (the valuation policy version among them).
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...]
    policy_version: str
    value_cents: int
    # The most a repair may cost before the policy says replace (rounded half-up, for display).
    limit_cents: int


def working_value(
    price_cents: int,
    purchase_date: date,
    today: date,
    category: str,
    grade: str,
    valuation: ValuationPolicy,
    valuation_version: int,
    currency: str = "EUR",
) -> WorkingValue:
    """The market value of the device as a working unit, from the valuation policy in force.

    Always the market method, whatever method the valuation policy picks for residual values: the question is
    what the device is worth once it works again. So no repair is deducted (the repair is what gets weighed
    against this value) and no parts floor applies (that is the worth of a unit nobody repairs)."""
    months = months_between(purchase_date, today)
    kept = retention(valuation.monthly_decay[category], months)
    factor = valuation.grade_factor[grade]
    cents = working_unit_cents(price_cents, months, category, grade, valuation)
    basis = (
        f"market value: {currency} {format_cents(price_cents)} new, {months} month{'' if months == 1 else 's'} old, "
        f"{category} retention {_rounded_percent(kept)}, grade {grade} \N{MULTIPLICATION SIGN}{factor}, "
        f"valuation policy v{valuation_version}"
    )
    params = {
        "valuation_policy_version": valuation_version,
        "working_value": {
            "method": "market",
            "price_cents": price_cents,
            "purchase_date": purchase_date.isoformat(),
            "valued_on": today.isoformat(),
            "age_months": months,
            "category": category,
            "retention": str(kept),
            "grade": grade,
            "grade_factor": factor,
        },
    }
    return WorkingValue(cents=cents, basis=basis, params=params)


def _rounded_percent(share: Decimal) -> str:
    # The retention carries six places; a tenth of a percent is what a reader can check against the curve.
    return f"{round_places(share * 100, 1).normalize():f} %"


def percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f} %"


def decide(diagnosis: Diagnosis, value: WorkingValue, policy: ReplacementPolicy, currency: str = "EUR") -> Decision:
    """Repair or replace, with the reasons a helpdesk user reads next to the decision."""
    if value.cents < 0:
        raise ValueError("a working value cannot be negative")
    if diagnosis.repair_cost_cents is not None and diagnosis.repair_cost_cents < 0:
        raise ValueError("a repair cost cannot be negative")
    limit = round_half_up(Decimal(value.cents) * policy.max_repair_share)
    share = percent(policy.max_repair_share)
    worth = f"Value as a working unit: {currency} {format_cents(value.cents)} ({value.basis})."

    def decided(outcome: Outcome, *reasons: str) -> Decision:
        return Decision(outcome, (*reasons, worth), policy.version, value.cents, limit)

    if not diagnosis.repairable:
        return decided(Outcome.replace, "Diagnosed as not repairable: replace the device.")
    cost = diagnosis.repair_cost_cents
    if cost is None:
        return decided(
            Outcome.repair,
            "Repairable, and no repair estimate yet: keeping the device in service is the default. "
            "Enter the estimate to have the policy compare it with the device's value.",
        )
    quoted = f"{currency} {format_cents(cost)}"
    limit_text = f"{share} of {currency} {format_cents(value.cents)} = {currency} {format_cents(limit)}"
    # Exact comparison: "more than a share" never depends on how the limit was rounded for display.
    if Decimal(cost) > Decimal(value.cents) * policy.max_repair_share:
        return decided(
            Outcome.replace,
            f"The repair estimate of {quoted} is more than {limit_text}: a repair is not worth it.",
        )
    return decided(
        Outcome.repair,
        f"The repair estimate of {quoted} is within {limit_text}: repair it and keep it in service.",
    )
