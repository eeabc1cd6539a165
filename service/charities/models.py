from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow


class Charity(SQLModel, table=True):
    """A digital-inclusion charity that receives donations. The donations issue extends it."""

    __tablename__ = "charities"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
