from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.choices import Choice
from service.db import UTCDateTime, sql_in, utcnow
from service.i18n import N_

STATEMENT_KINDS = ("original", "correction", "cancellation")


class DeliveryStatus(Choice):
    pending = "pending", N_("pending"), "amber"
    accepted = "accepted", N_("accepted"), "green"
    rejected = "rejected", N_("rejected"), "red"
    failed = "failed", N_("failed"), "red"


DELIVERY_STATUSES = DeliveryStatus.values()
ATTEMPT_OUTCOMES = ("accepted", "retry", "rejected")


class Statement(SQLModel, table=True):
    """A frozen donation statement in its three forms. Never changed (a database trigger refuses updates and
    deletes); a correction is a new statement that supersedes this one."""

    __tablename__ = "statements"
    __table_args__ = (
        sa.UniqueConstraint("donation_id", "version"),
        sa.CheckConstraint(sql_in("kind", STATEMENT_KINDS), name="kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donation_id: int = Field(foreign_key="donations.id", index=True)
    version: int
    number: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=16)
    # A statement is superseded at most once, so the history is one line.
    supersedes_id: int | None = Field(default=None, foreign_key="statements.id", unique=True)
    reason: str = Field(default="", sa_type=sa.Text)
    issued_by: str = Field(max_length=100)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    line_count: int
    json_document: bytes = Field(sa_type=sa.LargeBinary)
    json_sha256: str = Field(max_length=64)
    csv_document: bytes = Field(sa_type=sa.LargeBinary)
    csv_sha256: str = Field(max_length=64)
    pdf_document: bytes = Field(sa_type=sa.LargeBinary)
    pdf_sha256: str = Field(max_length=64)


class Delivery(SQLModel, table=True):
    """Sending one statement to its charity's webhook, retried with backoff by the statement-delivery job."""

    __tablename__ = "statement_deliveries"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", DELIVERY_STATUSES), name="status"),
        sa.Index("ix_statement_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id", index=True)
    charity_id: int = Field(foreign_key="charities.id")
    # The Standard Webhooks webhook-id: the same for every attempt, so the charity can drop duplicates.
    message_id: str = Field(max_length=64)
    body: bytes = Field(sa_type=sa.LargeBinary)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The charity's own words when it refused (4xx), or the last failure.
    last_message: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "statement_delivery_attempts"
    __table_args__ = (
        sa.UniqueConstraint("delivery_id", "number"),
        sa.CheckConstraint(sql_in("outcome", ATTEMPT_OUTCOMES), name="outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="statement_deliveries.id", index=True)
    number: int
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)
    status_code: int | None = Field(default=None)
    message: str = Field(default="", sa_type=sa.Text)
    duration_ms: int = Field(default=0)
    gateway: str = Field(default="", max_length=64)
