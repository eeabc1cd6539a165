from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.companies.models import COMPANY_DEFAULT
from service.db import UTCDateTime, sql_in, utcnow
from service.pool.ledger import EntryKind


class PoolEntry(SQLModel, table=True):
    """An immutable, signed entry of the donation pool ledger (rules in ledger.py)."""

    __tablename__ = "pool_entries"
    __table_args__ = (
        sa.CheckConstraint(sql_in("kind", EntryKind.values()), name="kind"),
        sa.CheckConstraint("amount_cents <> 0", name="not_zero"),
        sa.CheckConstraint("balance_after_cents >= 0", name="balance_not_negative"),
        sa.CheckConstraint("(kind = 'credit') = (credit_device_id IS NOT NULL)", name="credit_names_device"),
        sa.Index("ix_pool_entries_at", "at"),
        sa.Index("ix_pool_entries_company_id_id", "company_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Each company has its own pool: the running balance below is the company's, and its runs donate only it.
    company_id: int = Field(foreign_key="companies.id", sa_column_kwargs=COMPANY_DEFAULT)
    kind: str = Field(max_length=16)
    amount_cents: int = Field(sa_type=sa.BigInteger)
    # The running balance, derived and checked: it always equals the sum of the entries up to this one.
    balance_after_cents: int = Field(sa_type=sa.BigInteger)
    device_id: int | None = Field(default=None, foreign_key="devices.id", index=True)
    # Set only on credits: the unique constraint makes a second credit for a device impossible.
    credit_device_id: int | None = Field(default=None, foreign_key="devices.id", unique=True)
    valuation_id: int | None = Field(default=None, foreign_key="valuations.id")
    category: str = Field(default="", max_length=16)
    reason: str = Field(default="", sa_type=sa.Text)
    actor: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PoolLock(SQLModel, table=True):
    """One row every ledger writer locks, so the balance check and the insert happen as one."""

    __tablename__ = "pool_lock"

    id: int = Field(default=1, primary_key=True)
