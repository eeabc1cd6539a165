from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.donations.models import MAX_REFERENCE
from service.schemas import Strict


class ReasonRequest(Strict):
    reason: str = Field(min_length=3, max_length=2000)


class PaymentRequest(Strict):
    reference: str = Field(min_length=1, max_length=MAX_REFERENCE, description="the bank transfer's reference")


class ApprovalOut(BaseModel):
    by: str
    at: datetime


class StatementOut(BaseModel):
    id: int
    number: str
    version: int
    kind: str
    current: bool
    supersedes_id: int | None
    reason: str
    issued_by: str
    issued_at: datetime
    lines: int
    json_sha256: str
    csv_sha256: str
    pdf_sha256: str
    links: dict[str, str]


class AttemptOut(BaseModel):
    number: int
    at: datetime
    outcome: str
    status_code: int | None
    message: str
    duration_ms: int
    gateway: str


class DeliveryOut(BaseModel):
    id: int
    statement_id: int
    message_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_message: str
    finished_at: datetime | None
    tries: list[AttemptOut]


class DonationOut(BaseModel):
    id: int
    company_id: int = Field(description="the donating company: its pool pays, its statement names it")
    charity_id: int
    charity_name: str
    status: str
    status_label: str
    amount: str
    currency: str
    period_from: datetime
    period_to: datetime
    created_by: str
    created_at: datetime
    submitted_by: str
    submitted_at: datetime | None
    approvals: list[ApprovalOut]
    approvals_needed: int
    approved_at: datetime | None
    paid_by: str
    paid_at: datetime | None
    payment_reference: str
    acknowledged_by: str
    acknowledged_at: datetime | None
    closed_by: str
    closed_at: datetime | None
    close_reason: str
    people_reached: int | None
    version: int


class DonationDetailOut(DonationOut):
    lines: int
    statement: StatementOut | None
    # Finance's view only: how the statements reached the charity's webhook.
    deliveries: list[DeliveryOut] | None


class DonationPage(BaseModel):
    items: list[DonationOut]
    next_cursor: str | None


class LineOut(BaseModel):
    pool_entry_id: int
    device_id: int | None
    asset_tag: str | None
    serial_number: str | None
    model: str | None
    category: str | None
    amount: str
    released: bool


class LinePage(BaseModel):
    items: list[LineOut]
    next_cursor: str | None


class YearTotalOut(BaseModel):
    charity_id: int
    charity_name: str
    donations: int
    amount: str
    people_reached: int | None


class YearTotalsOut(BaseModel):
    year: int
    currency: str
    items: list[YearTotalOut]
    total: str


class OverviewOut(BaseModel):
    currency: str
    balance: str
    held_by_open_donations: str
    unallocated: str
    run_ready: bool
    run_problem: str | None


class RunOut(BaseModel):
    job_run_id: int
    outcome: str
    message: str
    counts: dict[str, object]
    donations: list[DonationOut]
