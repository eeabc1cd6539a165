"""Custom fields on devices, and their values.

Values live in a typed table, one row per device and field, rather than a JSON document on the device: a filter
on one field is then an index range scan on (field, value, device) in both databases — equality and ranges, with
no per-field expression index to create at run time (PostgreSQL's JSONB with GIN answers containment, not
ranges, and SQLite has neither) — and a field's type change is one UPDATE of its rows.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

FIELD_TYPES = ("text", "number", "date", "choice", "boolean")


class CustomField(SQLModel, table=True):
    __tablename__ = "custom_fields"
    __table_args__ = (sa.CheckConstraint(sql_in("type", FIELD_TYPES), name="type"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=48, unique=True)
    name: str = Field(max_length=100, unique=True)
    type: str = Field(max_length=16)
    # A device category this field belongs to; None: every category.
    category: str | None = Field(default=None, max_length=16)
    required: bool = Field(default=False)
    unique: bool = Field(default=False)
    help_text: str = Field(default="", max_length=500)
    choices: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceFieldValue(SQLModel, table=True):
    __tablename__ = "device_field_values"
    __table_args__ = (
        sa.Index("ix_device_field_values_text", "field_id", "text_folded", "device_id"),
        sa.Index("ix_device_field_values_number", "field_id", "number_value", "device_id"),
        sa.Index("ix_device_field_values_date", "field_id", "date_value", "device_id"),
        # Set only for a field marked unique: NULLs never collide, so one index serves every field.
        sa.UniqueConstraint("field_id", "unique_value"),
    )

    device_id: int = Field(foreign_key="devices.id", primary_key=True, ondelete="CASCADE")
    field_id: int = Field(foreign_key="custom_fields.id", primary_key=True, ondelete="CASCADE")
    text_value: str | None = Field(default=None, max_length=500)
    # text_value lower-cased: what a filter compares, so "lc-1" finds "LC-1" through the index.
    text_folded: str | None = Field(default=None, max_length=500)
    # Ten-thousandths (rules.NUMBER_SCALE): exact, and ordered as the numbers are.
    number_value: int | None = Field(default=None, sa_type=sa.BigInteger)
    date_value: date | None = Field(default=None)
    bool_value: bool | None = Field(default=None)
    unique_value: str | None = Field(default=None, max_length=500)
