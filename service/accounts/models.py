from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin','helpdesk','finance','charity','auditor')", name="role"),
        # A charity user is always bound to exactly one charity; nobody else is.
        sa.CheckConstraint(
            "(role = 'charity' AND charity_id IS NOT NULL) OR (role <> 'charity' AND charity_id IS NULL)",
            name="charity_binding",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)
    charity_id: int | None = Field(default=None, foreign_key="charities.id", index=True)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    # The language this person reads Kringloop in (nl, en); None follows the browser, then the organisation.
    locale: str | None = Field(default=None, max_length=8)
    # Bumped on logout, password change or deactivation: every token issued before stops working.
    session_epoch: int = Field(default=1)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """Every login try, kept for throttling and for the security trail."""

    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_username_at", "username", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    client_ip: str = Field(default="", max_length=64)
    succeeded: bool
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
