"""Request and response shapes of the impact API (the report document is built by service.build_report)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from service.impact.factors import ImpactFactors
from service.schemas import Strict


class FigureOut(BaseModel):
    value: str | None = Field(description="a decimal string or whole number as text; null when not computable")
    unit: str
    method: str
    method_version: str
    factor_version: str = Field(description="impact factors version and fingerprint, e.g. v2/3f1c0a9b2e4d")
    source: str
    inputs: dict[str, Any]
    note: str


class RowOut(BaseModel):
    group: str
    flags: list[str]
    figures: dict[str, FigureOut]


class SectionOut(BaseModel):
    rows: list[RowOut]


class CoverageOut(SectionOut):
    categories: list[str]
    uncovered_count: int
    uncovered: list[dict[str, Any]]


class ProcurementOut(SectionOut):
    attributes: list[str]


class MoneyOut(BaseModel):
    pool: RowOut
    charities: list[RowOut]


class ImpactReportOut(BaseModel):
    report: str
    method_version: str
    period: dict[str, str]
    group_by: str
    filters: dict[str, Any] = Field(description="company (name), company_id and cost_centre the report is limited to")
    currency: str
    factors: dict[str, Any]
    totals: dict[str, FigureOut]
    lifetime_extension: SectionOut
    one_for_one: CoverageOut
    second_life: SectionOut
    money: MoneyOut
    procurement: ProcurementOut
    charts: dict[str, dict[str, Any]]
    methods: list[dict[str, str]]


class FactorsOut(BaseModel):
    version: int
    saved: bool
    fingerprint: str
    factors: ImpactFactors


class FactorsBody(Strict):
    factors: ImpactFactors
    note: str = Field(min_length=1, max_length=500, description="why the factors change (kept with the version)")
