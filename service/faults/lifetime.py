"""Lifetime figures: how old devices were when they left service, against a fixed refresh cycle. Pure code.

DESIGN.md: keep devices in service until they actually break, instead of a fixed 3-year refresh. The baseline
(default 36 months) is that fixed cycle; reference/impact.md measures what each month beyond it saves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from service.money import round_places
from service.valuation.estimator import months_between


@dataclass(frozen=True)
class Retirement:
    category: str
    purchase_date: date
    retired_on: date
    replaced: bool


@dataclass(frozen=True)
class CategoryLifetime:
    category: str
    retired: int
    replaced: int
    average_age_months: Decimal | None
    baseline_months: int

    @property
    def months_beyond_baseline(self) -> Decimal | None:
        return None if self.average_age_months is None else self.average_age_months - self.baseline_months


def age_months(purchase_date: date, retired_on: date) -> int:
    return months_between(purchase_date, retired_on)


def by_category(retirements: Iterable[Retirement], baseline_months: int) -> list[CategoryLifetime]:
    """Average age at retirement per category (one decimal, half-up), beside the baseline."""
    ages: dict[str, list[int]] = {}
    replaced: dict[str, int] = {}
    for r in retirements:
        ages.setdefault(r.category, []).append(age_months(r.purchase_date, r.retired_on))
        replaced[r.category] = replaced.get(r.category, 0) + (1 if r.replaced else 0)
    out = []
    for category in sorted(ages):
        values = ages[category]
        average = round_places(Decimal(sum(values)) / len(values), 1)
        out.append(CategoryLifetime(category, len(values), replaced[category], average, baseline_months))
    return out
