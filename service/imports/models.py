from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

RUN_STATUSES = ("running", "finished", "unusable", "failed")


class ImportRun(SQLModel, table=True):
    """An import started from the upload page, which runs in the background: what the page polls and shows.

    A table rather than a registry in the process, because the next poll may reach another app instance behind
    the load balancer, and a restarted instance must still show how far a run got. The devices it wrote are
    audited per chunk; this row is bookkeeping, like a job run.
    """

    __tablename__ = "import_runs"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", RUN_STATUSES), name="status"),
        sa.CheckConstraint(sql_in("format", ("kringloop", "snipeit")), name="format"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32, unique=True)
    # Kept for scoped imports (a run visible to that company's users only); None until imports take a company.
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    status: str = Field(default="running", max_length=16)
    format: str = Field(default="kringloop", max_length=16)
    dry_run: bool = Field(default=False)
    date_order: str | None = Field(default=None, max_length=8)
    decimal_mark: str | None = Field(default=None, max_length=8)
    filename: str = Field(default="", max_length=255)
    size_bytes: int = Field(default=0, sa_type=sa.BigInteger)
    bytes_read: int = Field(default=0, sa_type=sa.BigInteger)
    rows: int = Field(default=0)
    created: int = Field(default=0)
    updated: int = Field(default=0)
    unchanged: int = Field(default=0)
    errors: int = Field(default=0)
    unknown_categories: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    unknown_statuses: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    ignored_columns: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # How the file was read (encoding, rows read leniently or skipped): the summary's ``readings``.
    readings: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Why the file was unusable, or what went wrong; empty while running and when it finished.
    message: str = Field(default="", sa_type=sa.Text)
    started_by: str = Field(max_length=100, index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Written after every chunk: a running import whose heartbeat stopped was interrupted (its instance stopped).
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
