from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.schemas import Amount, Strict

FaultCategory = Literal["battery", "screen", "keyboard", "storage", "mainboard", "liquid_damage", "other"]
Severity = Literal["low", "medium", "high"]
DecisionValue = Literal["repair", "replace"]
ManualResolution = Literal["repaired", "no_fault_found"]


class FaultCreate(Strict):
    category: FaultCategory
    description: str = Field(min_length=3, max_length=5000)
    severity: Severity = "medium"


# The fault's version as the person read it: a change by someone else since is refused (409), not overwritten.
# Pages always send it; an API client may leave it out.
_VERSION = Field(default=None, ge=1, description="the fault's version as read; refused (409) if it changed since")


class DiagnosisBody(Strict):
    version: int | None = _VERSION
    repairable: bool
    repair_cost: Amount | None = Field(default=None, description="the repairer's estimate; required when repairable")
    notes: str = Field(default="", max_length=5000)


class DecisionBody(Strict):
    version: int | None = _VERSION
    decision: DecisionValue
    reason: str = Field(min_length=10, max_length=2000, description="why the policy's decision does not fit")


class CloseBody(Strict):
    version: int | None = _VERSION
    resolution: ManualResolution = "repaired"
    note: str = Field(default="", max_length=2000)


class DiagnosisOut(BaseModel):
    repairable: bool
    repair_cost: str | None
    notes: str
    diagnosed_by: str
    diagnosed_at: datetime


class PolicyDecisionOut(BaseModel):
    decision: DecisionValue
    reasons: list[str]
    policy_version: str
    working_value: str
    # The valuation policy version the working value was priced with (None: decided before valuation existed).
    valuation_policy_version: int | None = None
    repair_limit: str


class OverruleOut(BaseModel):
    decision: DecisionValue
    reason: str
    overruled_by: str
    overruled_at: datetime


class FaultOut(BaseModel):
    id: int
    device_id: int
    category: FaultCategory
    severity: Severity
    description: str
    status: Literal["open", "closed"]
    reported_by: str
    reported_at: datetime
    diagnosis: DiagnosisOut | None
    policy: PolicyDecisionOut | None
    decision: DecisionValue | None = Field(description="in force: the policy's, or the overruling one")
    overrule: OverruleOut | None
    resolution: str | None
    close_note: str
    closed_by: str
    closed_at: datetime | None
    repair_id: int | None
    currency: str
    version: int


class FaultPage(BaseModel):
    items: list[FaultOut]
    next_cursor: str | None


class RepairOut(BaseModel):
    id: int
    device_id: int
    supplier: str
    expected_cost: str | None
    fault_ids: list[int]
    reason: str
    sent_by: str
    sent_at: datetime
    returned_by: str
    returned_at: datetime | None
    cost: str | None
    outcome: str | None
    notes: str


class RepairHistory(BaseModel):
    device_id: int
    items: list[RepairOut]
    repairs: int
    total_cost: str
    currency: str


class LifetimeCategory(BaseModel):
    category: str
    retired: int
    replaced: int
    average_age_months: str | None
    baseline_months: int
    months_beyond_baseline: str | None


class RetiredDeviceOut(BaseModel):
    device_id: int
    asset_tag: str | None
    category: str
    model_name: str
    purchase_date: date
    retired_at: datetime
    age_months: int
    reason: str
    successor_id: int | None
    repair_cost: str


class LifetimeOut(BaseModel):
    baseline_months: int
    by_category: list[LifetimeCategory]
    items: list[RetiredDeviceOut]
    next_cursor: str | None
    currency: str
