from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

# already_claimed: this instance fired a slot another had claimed, so it did nothing (its own record of that).
# abandoned: the process running it died (kill -9, a lost container); its work, one transaction, was rolled back.
OUTCOMES = ("running", "succeeded", "failed", "already_claimed", "abandoned")
# The claim: one run per (job, slot). Records of instances that found the slot taken share the slot, so they
# stay out of the unique index.
_CLAIMS = "outcome != 'already_claimed'"


class JobRun(SQLModel, table=True):
    """One run of a scheduled job. The unique (job, slot) row is the claim: of several app instances
    firing the same schedule slot, only the one whose INSERT succeeds does the work; the others record
    an ``already_claimed`` row beside it."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.Index(
            "uq_job_runs_job_slot",
            "job",
            "slot",
            unique=True,
            sqlite_where=sa.text(_CLAIMS),
            postgresql_where=sa.text(_CLAIMS),
        ),
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
