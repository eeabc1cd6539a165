"""Stock-taking audits: what was expected at a place, what was scanned there, and what was missing at the close."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.companies.models import COMPANY_DEFAULT
from service.db import UTCDateTime, sql_in, utcnow
from service.stocktaking.scope import AUDIT_STATUSES, SCAN_OUTCOMES, SCOPE_KINDS


class StockAudit(SQLModel, table=True):
    __tablename__ = "stock_audits"
    __table_args__ = (
        sa.CheckConstraint(sql_in("scope_kind", SCOPE_KINDS), name="scope_kind"),
        sa.CheckConstraint(sql_in("status", AUDIT_STATUSES), name="status"),
        sa.Index("ix_stock_audits_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The company whose devices the audit counts (a location audit counts only that company's devices there).
    company_id: int = Field(foreign_key="companies.id", index=True, sa_column_kwargs=COMPANY_DEFAULT)
    # What the audit covers: a kind and its value (a location's name, or the company's id for a whole company).
    scope_kind: str = Field(default="location", max_length=16)
    scope_value: str = Field(max_length=200)
    status: str = Field(default="open", max_length=8)
    started_by: str = Field(max_length=100)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=100)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Frozen at the close, so the report reads the same however the devices move on afterwards.
    expected_count: int | None = None
    found_count: int | None = None
    missing_count: int | None = None
    version: int = Field(default=1)


class StockAuditScan(SQLModel, table=True):
    """One tag or serial seen during an audit: each device and each typed term at most once per audit."""

    __tablename__ = "stock_audit_scans"
    __table_args__ = (
        sa.UniqueConstraint("audit_id", "term_key"),
        sa.UniqueConstraint("audit_id", "device_id"),
        sa.CheckConstraint(sql_in("outcome", SCAN_OUTCOMES), name="outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="stock_audits.id", index=True)
    term: str = Field(max_length=128)
    # The term as compared (trimmed, lower case): scanners differ in case, people in spaces.
    term_key: str = Field(max_length=128)
    device_id: int | None = Field(default=None, foreign_key="devices.id", index=True)
    outcome: str = Field(max_length=16)
    # Where the device was registered when it was scanned (a misplaced one: the other place).
    registered_location: str = Field(default="", max_length=200)
    source: str = Field(default="scan", max_length=8)
    scanned_by: str = Field(max_length=100)
    scanned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    moved_by: str | None = Field(default=None, max_length=100)
    moved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StockAuditMissing(SQLModel, table=True):
    """A device expected at the close and not scanned; ``lost_at`` once it was reported lost from the report."""

    __tablename__ = "stock_audit_missing"
    __table_args__ = (sa.UniqueConstraint("audit_id", "device_id"),)

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="stock_audits.id", index=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    status_at_close: str = Field(max_length=16)
    registered_location: str = Field(default="", max_length=200)
    lost_by: str | None = Field(default=None, max_length=100)
    lost_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
