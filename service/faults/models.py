from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

# The fault categories match the valuation policy's repair-cost table (service/valuation/policy.py FAULTS).
FAULT_CATEGORIES = ("battery", "screen", "keyboard", "storage", "mainboard", "liquid_damage", "other")
SEVERITIES = ("low", "medium", "high")
FAULT_STATUSES = ("open", "closed")
DECISIONS = ("repair", "replace")
# How a fault ended: fixed, nothing wrong after all, or its device left service (closed automatically).
RESOLUTIONS = ("repaired", "no_fault_found", "device_retired", "device_lost")
REPAIR_OUTCOMES = ("repaired", "not_repaired", "no_fault_found")


def _nullable_in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IS NULL OR {sql_in(column, values)}"


class Fault(SQLModel, table=True):
    """A fault report on a device, its diagnosis, the replacement policy's decision and how it closed."""

    __tablename__ = "faults"
    __table_args__ = (
        sa.CheckConstraint(sql_in("category", FAULT_CATEGORIES), name="category"),
        sa.CheckConstraint(sql_in("severity", SEVERITIES), name="severity"),
        sa.CheckConstraint(sql_in("status", FAULT_STATUSES), name="status"),
        sa.CheckConstraint(_nullable_in("policy_decision", DECISIONS), name="policy_decision"),
        sa.CheckConstraint(_nullable_in("decision", DECISIONS), name="decision"),
        sa.CheckConstraint(_nullable_in("resolution", RESOLUTIONS), name="resolution"),
        sa.CheckConstraint("repair_cost_cents IS NULL OR repair_cost_cents >= 0", name="repair_cost_not_negative"),
        # A closed fault says how it closed; an open one has not.
        sa.CheckConstraint("(status = 'closed') = (resolution IS NOT NULL)", name="closed_has_resolution"),
        sa.Index("ix_faults_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    category: str = Field(max_length=16)
    severity: str = Field(default="medium", max_length=8)
    description: str = Field(sa_type=sa.Text)
    reported_by: str = Field(max_length=100)
    reported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(default="open", max_length=8)

    repairable: bool | None = Field(default=None)
    repair_cost_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    diagnosis_notes: str = Field(default="", sa_type=sa.Text)
    diagnosed_by: str = Field(default="", max_length=100)
    diagnosed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # What the policy said, with everything needed to read the decision back later.
    policy_decision: str | None = Field(default=None, max_length=8)
    policy_reasons: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    policy_version: str = Field(default="", max_length=200)
    policy_params: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    working_value_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    repair_limit_cents: int | None = Field(default=None, sa_type=sa.BigInteger)

    # The decision in force: the policy's, unless a person overruled it with a reason.
    decision: str | None = Field(default=None, max_length=8)
    overrule_reason: str = Field(default="", sa_type=sa.Text)
    overruled_by: str = Field(default="", max_length=100)
    overruled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    resolution: str | None = Field(default=None, max_length=16)
    close_note: str = Field(default="", sa_type=sa.Text)
    closed_by: str = Field(default="", max_length=100)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    repair_id: int | None = Field(default=None, foreign_key="repairs.id")

    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Repair(SQLModel, table=True):
    """One trip to a repairer: written when a device moves to ``in_repair`` and completed when it returns."""

    __tablename__ = "repairs"
    __table_args__ = (
        sa.CheckConstraint(_nullable_in("outcome", REPAIR_OUTCOMES), name="outcome"),
        sa.CheckConstraint("expected_cost_cents IS NULL OR expected_cost_cents >= 0", name="expected_not_negative"),
        sa.CheckConstraint("cost_cents IS NULL OR cost_cents >= 0", name="cost_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    supplier: str = Field(default="", max_length=200)
    expected_cost_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    # The faults this repair is for; closed as repaired when it comes back repaired.
    fault_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    reason: str = Field(default="", sa_type=sa.Text)
    sent_by: str = Field(max_length=100)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_event_id: int = Field(foreign_key="device_events.id")
    returned_by: str = Field(default="", max_length=100)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    return_event_id: int | None = Field(default=None, foreign_key="device_events.id")
    cost_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    outcome: str | None = Field(default=None, max_length=16)
    notes: str = Field(default="", sa_type=sa.Text)
