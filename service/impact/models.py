from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow


class ImpactFactorVersion(SQLModel, table=True):
    """One version of the impact factors (factors.py). Rows are never changed; an edit adds the next version, so a
    report names the factors it used and a changed factor shows as a changed version."""

    __tablename__ = "impact_factor_versions"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    data: dict[str, Any] = Field(sa_type=sa.JSON)
    note: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
