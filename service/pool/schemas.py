from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from service.schemas import SignedAmount, Strict


class AdjustmentRequest(Strict):
    amount: SignedAmount
    reason: str = Field(min_length=3, max_length=2000)
    device_id: int | None = Field(default=None, ge=1)
    company_id: int | None = Field(
        default=None,
        ge=1,
        description="whose pool, when no device is named; default: your only company, else the default",
    )


class EntryOut(BaseModel):
    id: int
    company_id: int
    kind: str
    amount: str
    balance_after: str = Field(description="the balance of this entry's company's pool after it")
    device_id: int | None
    valuation_id: int | None
    category: str
    reason: str
    actor: str
    at: datetime


class CategoryTotalOut(BaseModel):
    category: str
    credited: str
    corrections: str
    net: str
    devices: int


class PoolOut(BaseModel):
    balance: str
    currency: str
    period_from: date | None
    period_to: date | None
    totals_by_category: list[CategoryTotalOut]
    items: list[EntryOut]
    next_cursor: str | None


class FleetValueOut(BaseModel):
    total: str
    currency: str
    computed_at: datetime | None
    by_category: list[dict[str, Any]]
