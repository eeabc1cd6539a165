"""One-for-one compensation rules: who owes, how much weight, how failed batches back off. Pure code."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from service.money import round_places

# Weight collected per device when its model records none. Laptop, phone, tablet: Boavizta medians
# (reference/impact.md: 1.65 kg, 0.17 kg, 0.73 kg). Desktop, monitor, other: our assumption.
DEFAULT_WEIGHT_GRAMS: Mapping[str, int] = MappingProxyType(
    {"laptop": 1650, "phone": 170, "tablet": 730, "desktop": 5000, "monitor": 4500, "other": 1000}
)
# TCO Certified Edge "E-waste compensated" covers notebooks, phones and tablets (reference/impact.md).
DEFAULT_CATEGORIES = frozenset({"laptop", "phone", "tablet"})
DEFAULT_START = date(2023, 1, 1)
MAX_RETRY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class CompensationRules:
    categories: frozenset[str] = DEFAULT_CATEGORIES
    start_date: date = DEFAULT_START
    default_weight_grams: Mapping[str, int] = field(default_factory=lambda: DEFAULT_WEIGHT_GRAMS)

    def owes(self, category: str, purchase_date: date) -> bool:
        """Whether a device bought on ``purchase_date`` owes one compensation."""
        return category in self.categories and purchase_date >= self.start_date

    def weight_grams(self, category: str, model_weight_grams: int | None) -> int:
        return model_weight_grams or self.default_weight_grams.get(category, DEFAULT_WEIGHT_GRAMS["other"])


def retry_delay_seconds(attempts: int, base_seconds: int, cap_seconds: int = MAX_RETRY_SECONDS) -> int:
    """Exponential backoff: ``base`` after the first failed attempt, doubling per attempt, never above ``cap``."""
    if attempts < 1:
        raise ValueError("attempts counts the attempts made, from 1")
    return min(cap_seconds, base_seconds * 2 ** min(attempts - 1, 30))


def coverage_percent(compensated: int, purchased: int) -> str | None:
    """Compensated as a share of the devices bought since the start date, one decimal; None with nothing bought."""
    if purchased <= 0:
        return None
    share = Decimal(compensated) * 100 / Decimal(purchased)
    return str(round_places(share, 1))


def kilograms(grams: int) -> str:
    return str(round_places(Decimal(grams) / 1000, 2))


def new_batch_key() -> str:
    """The batch's Idempotency-Key: random, so two instances never mint the same one."""
    return f"kringloop-compensation-{uuid.uuid4().hex}"
