from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.companies.models import COMPANY_DEFAULT
from service.db import UTCDateTime, utcnow


class Employee(SQLModel, table=True):
    """A person who can hold devices."""

    __tablename__ = "employees"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", index=True, sa_column_kwargs=COMPANY_DEFAULT)
    name: str = Field(max_length=200, index=True)
    email: str = Field(max_length=254, unique=True)
    department: str = Field(default="", max_length=120)
    active: bool = Field(default=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
