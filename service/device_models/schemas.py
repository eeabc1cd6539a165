from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from service.schemas import Strict

Category = Literal["laptop", "phone", "tablet", "desktop", "monitor", "other"]
MediaType = Literal["hdd", "ssd", "emmc", "phone_memory", "sd_card", "other"]
# Ecolabels the Buyer Group ICT / Circular & Fair ICT Pact criteria name (reference/impact.md).
Scheme = Literal["EPEAT", "TCO Certified", "TCO Certified Edge", "Blue Angel", "EU Ecolabel"]
# A repairability index from 0.0 to 10.0 with one decimal, as a string (no float at the edges).
SCORE_PATTERN = r"^(10(\.0)?|\d(\.\d)?)$"


class Certification(Strict):
    scheme: Scheme
    level: str = Field(default="", max_length=50, description="e.g. Gold (EPEAT) or Generation 9 (TCO Certified)")
    expires_on: date | None = Field(default=None, description="the certificate's end date; empty when open-ended")


class DeviceModelCreate(Strict):
    manufacturer: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    category: Category
    weight_grams: int | None = Field(default=None, ge=1, le=100_000)
    storage_media_count: int = Field(default=1, ge=0, le=16)
    storage_media_type: MediaType | None = None
    e_waste_compensated: bool = False
    certifications: list[Certification] = Field(default_factory=list, max_length=10)
    declared_lifetime_months: int | None = Field(default=None, ge=1, le=240)
    repairability_score: str | None = Field(default=None, pattern=SCORE_PATTERN, examples=["7.5"])


class DeviceModelUpdate(Strict):
    version: int = Field(ge=1)
    manufacturer: str | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: Category | None = None
    weight_grams: int | None = Field(default=None, ge=1, le=100_000)
    storage_media_count: int | None = Field(default=None, ge=0, le=16)
    storage_media_type: MediaType | None = None
    e_waste_compensated: bool | None = None
    certifications: list[Certification] | None = Field(default=None, max_length=10)
    declared_lifetime_months: int | None = Field(default=None, ge=1, le=240)
    repairability_score: str | None = Field(default=None, pattern=SCORE_PATTERN, examples=["7.5"])


class DeviceModelOut(BaseModel):
    id: int
    manufacturer: str
    name: str
    category: Category
    weight_grams: int | None
    storage_media_count: int
    storage_media_type: MediaType | None
    e_waste_compensated: bool
    certifications: list[Certification]
    declared_lifetime_months: int | None
    repairability_score: str | None
    version: int


class DeviceModelPage(BaseModel):
    items: list[DeviceModelOut]
    next_cursor: str | None


def score_tenths(score: str | None) -> int | None:
    """ "7.5" -> 75 (the pattern already bounds it to 0.0-10.0)."""
    if score is None:
        return None
    whole, _, tenth = score.partition(".")
    return int(whole) * 10 + int(tenth or 0)


def score_text(tenths: int | None) -> str | None:
    return None if tenths is None else f"{tenths // 10}.{tenths % 10}"
