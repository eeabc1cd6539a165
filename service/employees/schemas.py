from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field

from service.schemas import Strict


class EmployeeCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    department: str = Field(default="", max_length=120)
    active: bool = True
    company_id: int | None = Field(default=None, ge=1, description="default: your only company, else the default one")


class EmployeeUpdate(Strict):
    version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: EmailStr | None = None
    department: str | None = Field(default=None, max_length=120)
    active: bool | None = None


class EmployeeOut(BaseModel):
    id: int
    company_id: int
    name: str
    email: str
    department: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class EmployeePage(BaseModel):
    items: list[EmployeeOut]
    next_cursor: str | None
