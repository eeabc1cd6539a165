from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.companies.models import COMPANY_DEFAULT
from service.db import UTCDateTime, sql_in, utcnow
from service.devices.lifecycle import DeviceStatus

GRADES = ("A", "B", "C", "D")
STATUSES = DeviceStatus.values()


class Device(SQLModel, table=True):
    __tablename__ = "devices"
    __table_args__ = (
        # The manufacturer is copied from the model so the database itself keeps serials unique per maker.
        sa.UniqueConstraint("manufacturer", "serial_number"),
        sa.CheckConstraint("asset_tag IS NOT NULL OR serial_number IS NOT NULL", name="identified"),
        sa.CheckConstraint("purchase_price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint(sql_in("condition_grade", GRADES), name="grade"),
        sa.CheckConstraint(sql_in("status", STATUSES), name="status"),
        sa.Index("ix_devices_status_id", "status", "id"),
        # A company-scoped list pages by id within the company; reports filter by cost centre within it.
        sa.Index("ix_devices_company_id_id", "company_id", "id"),
        sa.Index("ix_devices_company_id_cost_centre", "company_id", "cost_centre"),
    )

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="companies.id", sa_column_kwargs=COMPANY_DEFAULT)
    # The budget inside the company that paid for it (free text, as finance names it: "IT-4100", "Zorg Noord").
    cost_centre: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    asset_tag: str | None = Field(default=None, max_length=64, unique=True)
    serial_number: str | None = Field(default=None, max_length=128)
    manufacturer: str = Field(max_length=100)
    model_id: int = Field(foreign_key="device_models.id", index=True)
    purchase_date: date
    purchase_price_cents: int = Field(sa_type=sa.BigInteger)
    supplier: str = Field(default="", max_length=200)
    order_ref: str = Field(default="", max_length=100)
    warranty_end: date | None = Field(default=None)
    holder_id: int | None = Field(default=None, foreign_key="employees.id", index=True)
    location: str = Field(default="", max_length=200)
    condition_grade: str = Field(default="A", max_length=1)
    notes: str = Field(default="", sa_type=sa.Text)
    replaces_id: int | None = Field(default=None, foreign_key="devices.id", unique=True)
    status: str = Field(default="in_stock", max_length=16)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceEvent(SQLModel, table=True):
    """Append-only lifecycle history: one row per move, never updated."""

    __tablename__ = "device_events"

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    move: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    holder_id: int | None = Field(default=None, foreign_key="employees.id")
    actor: str = Field(max_length=100)
    reason: str = Field(default="", sa_type=sa.Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
