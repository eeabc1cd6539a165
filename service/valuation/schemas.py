from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from service.schemas import Amount, Strict


class EstimateRequest(Strict):
    locked: bool = Field(default=False, description="activation lock or MDM enrolment still on: worth 0")
    method: Literal["market", "straight_line", "declining_balance"] | None = None


class OverrideRequest(Strict):
    amount: Amount
    reason: str = Field(min_length=3, max_length=2000)


class DisposeRequest(Strict):
    disposition: Literal["sold_to_refurbisher", "donated_in_kind", "recycled"]
    counterparty: str = Field(min_length=1, max_length=200)
    reference: str = Field(default="", max_length=200)
    realised_amount: Amount | None = None


class LineOut(BaseModel):
    label: str
    value: str
    note: str


class ValuationOut(BaseModel):
    id: int
    device_id: int
    method: str
    policy_version: int
    status: str
    estimated_amount: str
    override_amount: str | None
    override_reason: str
    override_by: str
    amount: str
    currency: str
    breakdown: list[LineOut]
    inputs: dict[str, Any]
    requested_by: str
    created_at: datetime
    accepted_by: str
    accepted_at: datetime | None


class DispositionOut(BaseModel):
    device_id: int
    disposition: str
    counterparty: str
    reference: str
    realised_amount: str | None
    recorded_by: str
    recorded_at: datetime


class PolicyOut(BaseModel):
    version: int
    saved: bool
    policy: dict[str, Any]


class PolicyUpdate(Strict):
    policy: dict[str, Any]
    note: str = Field(min_length=3, max_length=500)
