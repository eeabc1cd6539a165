from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.charities.rules import AnbiStatus
from service.db import UTCDateTime, sql_in, utcnow


class Charity(SQLModel, table=True):
    """A digital-inclusion charity that receives donations, with what its statements and deliveries need."""

    __tablename__ = "charities"
    __table_args__ = (
        sa.CheckConstraint(sql_in("anbi_status", AnbiStatus.values()), name="anbi_status"),
        # Basis points: 10000 is 100 %. Shares across active charities add up to 10000 (checked when set, and
        # again before a donation run, since deactivating a charity changes the sum).
        sa.CheckConstraint("share_bp >= 0 AND share_bp <= 10000", name="share_range"),
        sa.CheckConstraint("minimum_donation_cents >= 0", name="minimum_not_negative"),
        sa.CheckConstraint("cost_per_device_cents >= 0", name="cost_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    # Kamer van Koophandel number (8 digits) and RSIN (9 digits, eleven-test), as printed on statements.
    kvk_number: str = Field(default="", max_length=8)
    rsin: str = Field(default="", max_length=9)
    anbi_status: str = Field(default="unchecked", max_length=16)
    anbi_checked_on: date | None = Field(default=None)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=500)
    share_bp: int = Field(default=0)
    minimum_donation_cents: int = Field(default=0, sa_type=sa.BigInteger)
    # What the charity spends to put one refurbished laptop in someone's hands: people reached = amount / this.
    cost_per_device_cents: int = Field(default=0, sa_type=sa.BigInteger)
    webhook_url: str = Field(default="", max_length=500)
    # Standard Webhooks secret ("whsec_" + base64). Never returned by the API after it is set, never audited.
    webhook_secret: str = Field(default="", max_length=200)
    active: bool = Field(default=True)
    # The language of this charity's statements (nl, en); None (charities from before issue 13) is the organisation's.
    language: str | None = Field(default=None, max_length=8)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
