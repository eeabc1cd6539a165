from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from service.schemas import Strict


class StatusCount(BaseModel):
    status: str
    count: int
    kg: str


class CategoryCoverage(BaseModel):
    category: str
    purchased: int
    obligations: int
    compensated: int
    coverage_percent: str | None
    kg_compensated: str


class ObligationOut(BaseModel):
    id: int
    device_id: int
    asset_tag: str | None
    model_name: str
    category: str
    weight_grams: int
    purchase_date: date
    status: str
    batch_id: int | None
    partner_reference: str
    compensated_at: datetime | None
    created_at: datetime


class BatchOut(BaseModel):
    id: int
    key: str
    status: str
    item_count: int
    weight_grams: int
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    partner_message: str
    created_at: datetime
    confirmed_at: datetime | None
    rejected_at: datetime | None
    requeued_by: str
    requeued_at: datetime | None
    requeue_reason: str


class CompensationOut(BaseModel):
    partner: str = Field(description="the partner's URL, or 'built-in fake partner'")
    categories: list[str]
    start_date: date
    purchased_since_start: int
    obligations: int
    compensated: int
    coverage_percent: str | None = Field(description="compensated / purchased since the start date, in %")
    kg_compensated: str
    by_status: list[StatusCount]
    by_category: list[CategoryCoverage]
    recent_batches: list[BatchOut]
    items: list[ObligationOut]
    next_cursor: str | None


class BatchPage(BaseModel):
    items: list[BatchOut]
    next_cursor: str | None


class RequeueBody(Strict):
    reason: str = Field(min_length=10, max_length=2000, description="what was fixed after the partner's refusal")
