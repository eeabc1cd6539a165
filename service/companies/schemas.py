from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.charities.schemas import SharesOut
from service.schemas import Strict


class CompanyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    legal_name: str = Field(default="", max_length=200, description="as printed on its statements; empty: the name")
    address: str = Field(default="", max_length=500)
    kvk_number: str = Field(default="", max_length=8, description="Kamer van Koophandel number, 8 digits")
    rsin: str = Field(default="", max_length=9, description="RSIN, 9 digits (eleven-test)")
    active: bool = True


class CompanyUpdate(Strict):
    version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    legal_name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    kvk_number: str | None = Field(default=None, max_length=8)
    rsin: str | None = Field(default=None, max_length=9)
    active: bool | None = None


class CompanyOut(BaseModel):
    id: int
    name: str
    legal_name: str
    address: str
    kvk_number: str
    rsin: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CompanyPage(BaseModel):
    items: list[CompanyOut]
    next_cursor: str | None


class CompanySharesOut(SharesOut):
    company_id: int
    own: bool = Field(description="true: the company's own shares; false: it donates by the organisation's")
