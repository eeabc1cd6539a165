"""The valuation policy: every curve, factor and table the estimator uses, with its source.

Pure data. Stored as versioned rows (service/valuation/models.py); changing it makes a new version and
never rewrites an estimate, which keeps the version it was computed with.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.i18n import _

CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
FAULTS = ("battery", "screen", "keyboard", "storage", "mainboard", "liquid_damage", "other")
METHODS = ("market", "straight_line", "declining_balance")
GRADES = ("A", "B", "C", "D")
_DECIMAL = re.compile(r"\d{1,6}(\.\d{1,9})?")


class ValuationPolicy(BaseModel):
    """Amounts are in cents, rates and factors are decimal strings (never floats)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: str = Field(default="market", pattern="^(market|straight_line|declining_balance)$")
    # Market retention: share of the new price a working unit fetches, decaying monthly.
    # Laptops/desktops: ITAD resale falls about 3.5 % a month (Cascade Asset Management 2016: 65.2 % at one
    # year, 42.5 % at two). Phones lose 44-67 % in the first year (SellCell, iPhone 12-15, Galaxy S22/S23):
    # 5 % a month gives 54 % at one year. Tablets and monitors: our assumption between the two.
    monthly_decay: dict[str, str] = Field(
        default_factory=lambda: {
            "laptop": "0.035",
            "desktop": "0.035",
            "tablet": "0.040",
            "phone": "0.050",
            "monitor": "0.025",
            "other": "0.035",
        }
    )
    # Refurbisher grades A-D (our starting multipliers; gap A-B about 15 %, A-D 50 % or more).
    grade_factor: dict[str, str] = Field(default_factory=lambda: {"A": "1.00", "B": "0.85", "C": "0.70", "D": "0.40"})
    # Parts/material value: the floor of a working unit's value and the whole value of a parts-only unit
    # (our assumption, roughly what a refurbisher pays for a stripped unit).
    parts_value_cents: dict[str, int] = Field(
        default_factory=lambda: {
            "laptop": 2500,
            "desktop": 2000,
            "tablet": 1500,
            "phone": 1000,
            "monitor": 1000,
            "other": 500,
        }
    )
    # Repair cost needed to resell when a fault has no diagnosed cost (our assumption, typical part + labour).
    # None means the fault leaves parts value only (a dead mainboard or liquid damage is not worth fixing).
    fault_repair_cents: dict[str, int | None] = Field(
        default_factory=lambda: {
            "battery": 6000,
            "screen": 15000,
            "keyboard": 5000,
            "storage": 4000,
            "mainboard": None,
            "liquid_damage": None,
            "other": 5000,
        }
    )
    # Straight line with a floor, as Snipe-IT computes it (Depreciable.php): months of the profile, and a floor
    # as an amount or a percent of cost.
    straight_line_months: int = Field(default=36, ge=1, le=240)
    straight_line_floor_cents: int = Field(default=0, ge=0)
    straight_line_floor_percent: str | None = None
    # Declining balance V = C * (1 - r)^years, floored at salvage (double-declining: r = 2 / life years).
    declining_rate: str = "0.40"
    declining_salvage_cents: int = Field(default=0, ge=0)
    # Estimates at or below this amount are accepted without finance (0 turns auto-accept off).
    auto_accept_below_cents: int = Field(default=0, ge=0)
    # Whether a sale that realises a different amount than estimated adjusts the pool by the difference.
    realised_amount_counts: bool = True

    @model_validator(mode="after")
    def _complete(self) -> ValuationPolicy:
        for table, keys in (
            (self.monthly_decay, CATEGORIES),
            (self.parts_value_cents, CATEGORIES),
            (self.grade_factor, GRADES),
            (self.fault_repair_cents, FAULTS),
        ):
            missing = [k for k in keys if k not in table]
            if missing:
                raise ValueError(_("missing entries: {missing}").format(missing=', '.join(missing)))
            unknown = sorted(set(table) - set(keys))
            if unknown:
                raise ValueError(
                    _("unknown entries: {unknown} (known: {keys})").format(
                        unknown=", ".join(unknown), keys=", ".join(keys)
                    )
                )
        amounts = [*self.parts_value_cents.values(), *(v for v in self.fault_repair_cents.values() if v is not None)]
        if any(a < 0 for a in amounts):
            raise ValueError(_("amounts in cents cannot be negative"))
        rates = [*self.monthly_decay.values(), *self.grade_factor.values(), self.declining_rate]
        # Plain decimals only: "NaN", "1e-3" or " 0.1" are refused here rather than failing in the estimator or
        # in the revaluation SQL, which writes these numbers into its CASE expressions.
        if any(not _DECIMAL.fullmatch(r) or Decimal(r) > 1 for r in rates):
            raise ValueError('rates and factors must be decimal numbers between 0 and 1, such as "0.035"')
        percent = self.straight_line_floor_percent
        if percent is not None and (not _DECIMAL.fullmatch(percent) or Decimal(percent) > 100):
            raise ValueError('the floor percentage must be a decimal number between 0 and 100, such as "10"')
        return self


def default_policy() -> ValuationPolicy:
    return ValuationPolicy()


def policy_from_json(data: dict[str, Any]) -> ValuationPolicy:
    return ValuationPolicy.model_validate(data)
