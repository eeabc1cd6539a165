from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

VALUATION_STATUSES = ("estimate", "accepted", "superseded")


class ValuationPolicyVersion(SQLModel, table=True):
    """One version of the valuation policy. Rows are never changed; an edit adds the next version."""

    __tablename__ = "valuation_policies"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    data: dict[str, Any] = Field(sa_type=sa.JSON)
    note: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Valuation(SQLModel, table=True):
    """An estimate of a device's residual value, with everything that went into it."""

    __tablename__ = "valuations"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", VALUATION_STATUSES), name="status"),
        sa.CheckConstraint("estimated_cents >= 0", name="estimate_not_negative"),
        sa.CheckConstraint("override_cents IS NULL OR override_cents >= 0", name="override_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    policy_version: int
    method: str = Field(max_length=32)
    inputs: dict[str, Any] = Field(sa_type=sa.JSON)
    lines: list[dict[str, str]] = Field(sa_type=sa.JSON)
    estimated_cents: int = Field(sa_type=sa.BigInteger)
    status: str = Field(default="estimate", max_length=16)
    requested_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    override_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    override_reason: str = Field(default="", sa_type=sa.Text)
    override_by: str = Field(default="", max_length=100)
    override_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by: str = Field(default="", max_length=100)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def amount_cents(self) -> int:
        """What counts: the override when finance set one, else the estimate."""
        return self.override_cents if self.override_cents is not None else self.estimated_cents


class Disposition(SQLModel, table=True):
    """How a valued device left the company."""

    __tablename__ = "dispositions"
    __table_args__ = (
        sa.CheckConstraint(
            sql_in("disposition", ("sold_to_refurbisher", "donated_in_kind", "recycled")), name="disposition"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", unique=True)
    disposition: str = Field(max_length=32)
    counterparty: str = Field(max_length=200)
    reference: str = Field(default="", max_length=200)
    realised_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FleetValue(SQLModel, table=True):
    """The indicative value of a device still in service, from the latest fleet revaluation (not credited)."""

    __tablename__ = "fleet_values"

    # No foreign key on purpose: this is a derived table rebuilt in bulk, and checking 1M references on every
    # rebuild roughly doubles its time; devices are never deleted, so nothing can dangle.
    device_id: int = Field(primary_key=True)
    value_cents: int = Field(sa_type=sa.BigInteger)
    policy_version: int
    computed_at: datetime = Field(sa_type=UTCDateTime)
