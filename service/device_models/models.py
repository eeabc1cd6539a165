from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow

CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
MEDIA_TYPES = ("hdd", "ssd", "emmc", "phone_memory", "sd_card", "other")


class DeviceModel(SQLModel, table=True):
    """A make and model of device, with what a unit of it usually carries."""

    __tablename__ = "device_models"
    __table_args__ = (
        sa.UniqueConstraint("manufacturer", "name"),
        sa.CheckConstraint(sql_in("category", CATEGORIES), name="category"),
        sa.CheckConstraint("storage_media_count >= 0 AND storage_media_count <= 16", name="media_count"),
        sa.CheckConstraint(
            f"storage_media_type IS NULL OR {sql_in('storage_media_type', MEDIA_TYPES)}", name="media_type"
        ),
        sa.CheckConstraint(
            "repairability_tenths IS NULL OR (repairability_tenths >= 0 AND repairability_tenths <= 100)",
            name="repairability_range",
        ),
        sa.CheckConstraint(
            "declared_lifetime_months IS NULL OR declared_lifetime_months > 0", name="lifetime_positive"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    manufacturer: str = Field(max_length=100)
    name: str = Field(max_length=200)
    category: str = Field(max_length=16)
    weight_grams: int | None = Field(default=None)
    storage_media_count: int = Field(default=1)
    storage_media_type: str | None = Field(default=None, max_length=16)
    # Procurement attributes (Buyer Group ICT criteria, reference/impact.md): what the impact report counts.
    e_waste_compensated: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # [{"scheme": "TCO Certified", "level": "Generation 9", "expires_on": "2027-06-30"}, ...]
    certifications: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=sa.JSON, sa_column_kwargs={"server_default": "[]"}
    )
    declared_lifetime_months: int | None = Field(default=None)
    # A repairability index of 0.0-10.0 (as France's indice de réparabilité) kept in tenths: no float.
    repairability_tenths: int | None = Field(default=None)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
