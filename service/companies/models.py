from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow

# The company migration 0015 creates for the data that existed before companies did; never deleted.
DEFAULT_COMPANY_ID = 1
# The company_id columns' server default: a row loaded without one (a bulk load by another tool, a benchmark's
# COPY) lands in the default company, as the rows that existed before companies did. The app always names one.
COMPANY_DEFAULT = {"server_default": str(DEFAULT_COMPANY_ID)}


class Company(SQLModel, table=True):
    """A legal entity of the organisation: it owns devices and employs people, and its pool donates separately.

    The donor fields are what its statements print; left empty, the organisation's (KRINGLOOP_DONOR_*) apply."""

    __tablename__ = "companies"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    legal_name: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=500)
    kvk_number: str = Field(default="", max_length=8)
    rsin: str = Field(default="", max_length=9)
    active: bool = Field(default=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserCompany(SQLModel, table=True):
    """A user scoped to a company. A user with no rows here sees every company; one with rows sees only those."""

    __tablename__ = "user_companies"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    company_id: int = Field(foreign_key="companies.id", primary_key=True, index=True)


class CompanyShare(SQLModel, table=True):
    """A company's own allocation share for a charity. A company with no rows here donates by the organisation's
    shares (the charities' own); one with rows donates by these, which add up to 100 % over active charities."""

    __tablename__ = "company_shares"

    company_id: int = Field(foreign_key="companies.id", primary_key=True)
    charity_id: int = Field(foreign_key="charities.id", primary_key=True, index=True)
    share_bp: int = Field(ge=0)
