from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

OUTCOMES = ("running", "succeeded", "failed")


class JobRun(SQLModel, table=True):
    """One run of a scheduled job. The unique (job, slot) row is the claim: of several app instances
    firing the same schedule slot, only the one whose INSERT succeeds does the work."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.UniqueConstraint("job", "slot"),
        sa.CheckConstraint(sql_in("outcome", OUTCOMES), name="outcome"),
        sa.Index("ix_job_runs_job_started", "job", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    slot: str = Field(max_length=64)
    triggered_by: str = Field(max_length=100)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(default="running", max_length=16)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    message: str = Field(default="", sa_type=sa.Text)
