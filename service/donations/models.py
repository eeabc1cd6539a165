from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.companies.models import COMPANY_DEFAULT
from service.db import UTCDateTime, sql_in, utcnow
from service.donations.workflow import DonationStatus

MAX_REFERENCE = 200  # a bank transfer's reference, as the API, the page and the column take it


class Donation(SQLModel, table=True):
    """One donation to one charity, drafted by a run from pool credits and taken through approval (workflow.py)."""

    __tablename__ = "donations"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", DonationStatus.values()), name="status"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.Index("ix_donations_status_id", "status", "id"),
        sa.Index("ix_donations_charity_id_id", "charity_id", "id"),
        sa.Index("ix_donations_company_id_id", "company_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The donating company: its pool pays, its statement names it.
    company_id: int = Field(foreign_key="companies.id", sa_column_kwargs=COMPANY_DEFAULT)
    charity_id: int = Field(foreign_key="charities.id")
    status: str = Field(default="draft", max_length=16)
    amount_cents: int = Field(sa_type=sa.BigInteger)
    # The run that drafted it (one key per run), and the credit period it covers.
    run_key: str = Field(max_length=64, index=True)
    period_from: datetime = Field(sa_type=UTCDateTime)
    period_to: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_by: str = Field(default="", max_length=100)
    submitted_by_id: int | None = Field(default=None, foreign_key="users.id")
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    debit_entry_id: int | None = Field(default=None, foreign_key="pool_entries.id", unique=True)
    paid_by: str = Field(default="", max_length=100)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    payment_reference: str = Field(default="", max_length=MAX_REFERENCE)
    acknowledged_by: str = Field(default="", max_length=100)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str = Field(default="", max_length=100)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why it was rejected (before approval) or cancelled (approved, unpaid).
    close_reason: str = Field(default="", sa_type=sa.Text)
    reversal_entry_id: int | None = Field(default=None, foreign_key="pool_entries.id", unique=True)
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DonationAllocation(SQLModel, table=True):
    """How much of one pool credit a donation is made of. Released (not deleted) when the donation is rejected or
    cancelled, so the donation still shows what it was; only unreleased rows count as allocated.

    Lean on purpose: a run over 100k credits writes 100k rows, and every index or key check costs about 0.3 s
    there (bench/donations.py). The key is (donation, credit); the device is the credit's."""

    __tablename__ = "donation_allocations"
    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)

    donation_id: int = Field(foreign_key="donations.id", primary_key=True)
    pool_entry_id: int = Field(foreign_key="pool_entries.id", primary_key=True, index=True)
    amount_cents: int = Field(sa_type=sa.BigInteger)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DonationApproval(SQLModel, table=True):
    """One finance user's approval. Two rows for the same user are impossible, so four eyes hold under races."""

    __tablename__ = "donation_approvals"
    __table_args__ = (sa.UniqueConstraint("donation_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    donation_id: int = Field(foreign_key="donations.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    username: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
