"""The impact factors: every number the impact figures multiply by, with its source. Pure data.

Stored as versioned rows (service/impact/models.py) like the valuation policy: a change is a new version, and every
report names the version and a fingerprint of the factors it used, so a changed factor is never silent.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.i18n import N_, _

CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
_KG = re.compile(r"\d{1,5}(\.\d{1,3})?")

# The report document keeps these in English (N_ only marks them); the page and the PDF translate them when shown
# (labels.py).
BOAVIZTA = N_(
    "Boavizta environmental-footprint-data, medians of manufacturer declarations "
    "(laptop n=452, smartphone n=50, tablet n=22)"
)
CLOSING_THE_LOOP = N_("Closing the Loop: 8 million phones = 440 tonnes, about 55 g per scrap phone")
LIFETIME_METHOD = N_(
    "Against a fixed replacement cycle of B months, a device used A months avoids manufacturing_kg x (A / B - 1) "
    "kg CO2e: the share of a new device's manufacturing the fixed cycle would have spent in the same time"
)
PEOPLE_SOURCE = N_("Charity rules: people reached = amount paid / the charity's cost per refurbished device")
PROCUREMENT_SOURCE = "Buyer Group ICT, Circular & Fair ICT Pact criteria; TCO Certified Edge E-waste compensated"
OUR_ASSUMPTION = N_("our assumption (no Boavizta median for this category)")


class ImpactFactors(BaseModel):
    """Kilograms are decimal strings (never floats); a category without a factor is None and reported as such."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Manufacturing kg CO2e per device (Boavizta medians, reference/impact.md). Desktops, monitors and other devices
    # have no median there: no CO2e is claimed for them unless an admin sets one.
    manufacturing_kg: dict[str, str | None] = Field(
        default_factory=lambda: {
            "laptop": "236",
            "phone": "53",
            "tablet": "71",
            "desktop": None,
            "monitor": None,
            "other": None,
        }
    )
    # Weight when a model records none: laptop, phone, tablet Boavizta medians; the rest our assumption
    # (the same table the one-for-one obligations use, service/compensation/rules.py).
    weight_kg: dict[str, str | None] = Field(
        default_factory=lambda: {
            "laptop": "1.65",
            "phone": "0.17",
            "tablet": "0.73",
            "desktop": "5",
            "monitor": "4.5",
            "other": "1",
        }
    )
    # Declared lifetime in months when a model declares none (Boavizta: laptop 4 years, smartphone 3 years).
    declared_lifetime_months: dict[str, int | None] = Field(
        default_factory=lambda: {
            "laptop": 48,
            "phone": 36,
            "tablet": None,
            "desktop": None,
            "monitor": None,
            "other": None,
        }
    )
    # The fixed refresh cycle the lifetime extension is measured against (reference/impact.md: B, default 36).
    baseline_months: int = Field(default=36, ge=1, le=240)
    # Devices bought on or after this date owe one e-waste compensation (the one-for-one programme start).
    programme_start: date = date(2023, 1, 1)
    # Closing the Loop: 440 tonnes / 8 million phones = 55 g per scrap phone.
    scrap_phone_kg: str = "0.055"
    # Procurement: a model meets "long declared lifetime" from this many months, and "repairable" from this score.
    min_declared_lifetime_months: int = Field(default=48, ge=1, le=240)
    min_repairability_score: str = Field(default="7.0", pattern=r"^(10(\.0)?|\d(\.\d)?)$")

    @model_validator(mode="after")
    def _complete(self) -> ImpactFactors:
        for table in (self.manufacturing_kg, self.weight_kg, self.declared_lifetime_months):
            missing = [c for c in CATEGORIES if c not in table]
            unknown = sorted(set(table) - set(CATEGORIES))
            if missing or unknown:
                raise ValueError(
                    _("every category needs an entry (missing: {missing}, unknown: {unknown})").format(
                        missing=missing, unknown=unknown
                    )
                )
        kgs = [*self.manufacturing_kg.values(), *self.weight_kg.values(), self.scrap_phone_kg]
        if any(k is not None and (not _KG.fullmatch(k) or Decimal(k) == 0) for k in kgs):
            raise ValueError(_('kilograms must be positive decimal numbers such as "1.65" (or empty for unknown)'))
        return self

    def manufacturing(self, category: str) -> Decimal | None:
        value = self.manufacturing_kg.get(category)
        return None if value is None else Decimal(value)

    def weight(self, category: str) -> Decimal | None:
        value = self.weight_kg.get(category)
        return None if value is None else Decimal(value)


def default_factors(baseline_months: int = 36, programme_start: date = date(2023, 1, 1)) -> ImpactFactors:
    """The defaults; the baseline and the programme start come from settings (KRINGLOOP_REPLACEMENT_BASELINE_MONTHS,
    KRINGLOOP_COMPENSATION_START_DATE) so the lifetime page, the obligations and this report agree."""
    return ImpactFactors(baseline_months=baseline_months, programme_start=programme_start)


def factors_from_json(data: dict[str, Any]) -> ImpactFactors:
    return ImpactFactors.model_validate(data)


def fingerprint(factors: ImpactFactors) -> str:
    """The first 12 hex digits of the SHA-256 of the factors' canonical JSON: a changed factor changes it."""
    canonical = json.dumps(factors.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def factor_source(category: str, table: str) -> str:
    """Where a category's factor comes from, printed beside every figure that uses it."""
    if table == "scrap_phone":
        return CLOSING_THE_LOOP
    if category in ("laptop", "phone", "tablet"):
        return BOAVIZTA
    return OUR_ASSUMPTION
