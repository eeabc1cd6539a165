"""The replacement policy: repair a broken device, or replace it. Pure code: no web, no database.

DESIGN.md, "Fault-based replacement": replace only when the device is unrepairable, or when the repair would
cost more than a set share (default 50 %) of the device's value as a working unit. Every decision carries the
policy version and the reasons, so a decision can be read back years later exactly as it was made. Change
``RULES_VERSION`` whenever the rules below change meaning; the parameters travel with each decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from service.money import format_cents, round_half_up
from service.valuation.estimator import months_between

RULES_VERSION = 1


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
    # Straight-line book value (Snipe-IT's profile: cost to floor over these months) until valuation replaces it.
    # The floor (a percentage of the price) is what a working unit keeps once written off: about the market
    # retention of a 4-year-old business laptop, 18.1 % (ITAD resale, reference/valuation.md).
    book_months: int = 36
    book_floor_percent: Decimal = Decimal("20")

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.max_repair_share <= Decimal(10):
            raise ValueError("max_repair_share must lie between 0 and 10 (0 % and 1000 %)")
        if self.book_months < 1:
            raise ValueError("book_months must be at least 1")
        if not Decimal(0) <= self.book_floor_percent <= Decimal(100):
            raise ValueError("book_floor_percent must lie between 0 and 100")

    @property
    def version(self) -> str:
        return (
            f"replacement/{RULES_VERSION}: repair share {percent(self.max_repair_share)}, "
            f"book value over {self.book_months} months, floor {self.book_floor_percent.normalize():f} %"
        )

    def parameters(self) -> dict[str, str | int]:
        return {
            "rules_version": RULES_VERSION,
            "max_repair_share": str(self.max_repair_share),
            "book_months": self.book_months,
            "book_floor_percent": str(self.book_floor_percent),
        }


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


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...]
    policy_version: str
    value_cents: int
    # The most a repair may cost before the policy says replace (rounded half-up, for display).
    limit_cents: int


def book_value_cents(price_cents: int, purchase_date: date, today: date, months: int = 36, floor_cents: int = 0) -> int:
    """Straight-line book value, as Snipe-IT computes it (Depreciable.php, reference/valuation.md):
    m = whole months since purchase, M = months of the profile, F = floor; m >= M gives F, else
    C - (C - F) * m / M rounded half-up to the cent. A floor above the price is the price."""
    if price_cents < 0:
        raise ValueError("price_cents must not be negative")
    if months < 1:
        raise ValueError("months must be at least 1")
    floor = min(max(floor_cents, 0), price_cents)
    elapsed = months_between(purchase_date, today)
    if elapsed >= months:
        return floor
    return round_half_up(Decimal(price_cents) - Decimal(price_cents - floor) * elapsed / months)


def working_value(price_cents: int, purchase_date: date, today: date, policy: ReplacementPolicy) -> WorkingValue:
    floor = round_half_up(Decimal(price_cents) * policy.book_floor_percent / 100)
    cents = book_value_cents(price_cents, purchase_date, today, policy.book_months, floor)
    age = months_between(purchase_date, today)
    basis = (
        f"straight-line book value: {format_cents(price_cents)} bought {purchase_date.isoformat()}, "
        f"{age} of {policy.book_months} months written off"
    )
    if floor:
        basis += f", floor {format_cents(floor)}"
    return WorkingValue(cents=cents, basis=basis)


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
