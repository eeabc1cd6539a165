from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.choices import Choice
from service.db import UTCDateTime, sql_in, utcnow
from service.i18n import N_


# pending: waiting for the job; batched: in a batch being sent or waiting to be retried;
# compensated: the partner confirmed it with a reference; rejected: the partner refused its batch.
class ObligationStatus(Choice):
    pending = "pending", N_("pending"), "blue"
    batched = "batched", N_("batched"), "amber"
    compensated = "compensated", N_("compensated"), "green"
    rejected = "rejected", N_("rejected"), "red"


OBLIGATION_STATUSES = ObligationStatus.values()
# sending: claimed by a job run (until locked_until); retry_wait: a retryable failure, due at next_attempt_at;
# confirmed: every obligation has a reference; rejected: a 4xx, kept with the partner's message.
class BatchStatus(Choice):
    sending = "sending", N_("sending"), "blue"
    retry_wait = "retry_wait", N_("retry wait"), "amber"
    confirmed = "confirmed", N_("confirmed"), "green"
    rejected = "rejected", N_("rejected"), "red"


BATCH_STATUSES = BatchStatus.values()


class CompensationObligation(SQLModel, table=True):
    """One-for-one: the e-waste collection owed for one new device (exactly one per device)."""

    __tablename__ = "compensation_obligations"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", OBLIGATION_STATUSES), name="status"),
        sa.CheckConstraint("weight_grams > 0", name="weight_positive"),
        sa.CheckConstraint("status != 'compensated' OR partner_reference != ''", name="compensated_has_reference"),
        sa.Index("ix_compensation_obligations_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", unique=True)
    category: str = Field(max_length=16)
    weight_grams: int
    purchase_date: date
    status: str = Field(default="pending", max_length=16)
    batch_id: int | None = Field(default=None, foreign_key="compensation_batches.id", index=True)
    partner_reference: str = Field(default="", max_length=200)
    compensated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CompensationBatch(SQLModel, table=True):
    """Obligations sent together under one idempotency key: resending the same batch never counts twice."""

    __tablename__ = "compensation_batches"
    __table_args__ = (
        sa.CheckConstraint(sql_in("status", BATCH_STATUSES), name="status"),
        sa.Index("ix_compensation_batches_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True)
    status: str = Field(default="sending", max_length=16)
    item_count: int
    weight_grams: int = Field(sa_type=sa.BigInteger)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", sa_type=sa.Text)
    partner_message: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requeued_by: str = Field(default="", max_length=100)
    requeued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    requeue_reason: str = Field(default="", sa_type=sa.Text)
