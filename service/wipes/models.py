"""Storage media, wipe certificates with their report files, no-media attestations, overdue flags.

The database guards the evidence as well as the service does (migration 0004): a certificate's reviewer is never
its recorder, a certificate always belongs to a medium of the same device, a verified certificate and an
attestation never change, media of a device past ``retired`` never change, and the triggers on ``devices`` refuse
``wiped``, ``valued`` and ``disposed`` to a device that has not passed the wipe gate (policy.py).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime, sql_in, utcnow
from service.wipes.policy import DESTINATIONS, MEDIA_TYPES, METHODS, VERIFICATION_METHODS

MEDIA_SOURCES = ("model", "manual", "report")
CERTIFICATE_STATUSES = ("recorded", "verified", "rejected")
CERTIFICATE_SOURCES = ("manual", "nwipe", "blancco")
DOCUMENT_TYPES = ("application/pdf", "application/xml", "application/json")


class StorageMedium(SQLModel, table=True):
    """A disk, flash chip or card inside a device; its serial may be unknown until a report names it."""

    __tablename__ = "storage_media"
    __table_args__ = (
        # The target of wipe_certificates' (medium_id, device_id) foreign key.
        sa.UniqueConstraint("id", "device_id"),
        sa.CheckConstraint(sql_in("media_type", MEDIA_TYPES), name="media_type"),
        sa.CheckConstraint(sql_in("source", MEDIA_SOURCES), name="source"),
        sa.CheckConstraint("capacity_bytes IS NULL OR capacity_bytes > 0", name="capacity_positive"),
        sa.Index("ix_storage_media_serial", "serial"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    media_type: str = Field(max_length=16)
    serial: str | None = Field(default=None, max_length=128)
    capacity_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    description: str = Field(default="", max_length=200)
    source: str = Field(default="manual", max_length=16)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WipeDocument(SQLModel, table=True):
    """The wipe tool's own report file, kept byte for byte as evidence, with its SHA-256."""

    __tablename__ = "wipe_documents"
    __table_args__ = (
        sa.CheckConstraint(sql_in("content_type", DOCUMENT_TYPES), name="content_type"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    content_type: str = Field(max_length=32)
    filename: str = Field(max_length=255)
    size_bytes: int
    content: bytes = Field(sa_type=sa.LargeBinary)
    uploaded_by: str = Field(max_length=100)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WipeCertificate(SQLModel, table=True):
    """Evidence that one medium was sanitized (NIST SP 800-88 Rev. 1 appendix G), reviewed by a second person."""

    __tablename__ = "wipe_certificates"
    __table_args__ = (
        sa.ForeignKeyConstraint(["medium_id", "device_id"], ["storage_media.id", "storage_media.device_id"]),
        sa.CheckConstraint(sql_in("status", CERTIFICATE_STATUSES), name="status"),
        sa.CheckConstraint(sql_in("method", METHODS), name="method"),
        sa.CheckConstraint(sql_in("destination", DESTINATIONS), name="destination"),
        sa.CheckConstraint(sql_in("verification_method", VERIFICATION_METHODS), name="verification_method"),
        sa.CheckConstraint(sql_in("source", CERTIFICATE_SOURCES), name="source"),
        # Four eyes: whoever verifies or rejects a certificate is never the one who recorded it.
        sa.CheckConstraint("reviewed_by IS NULL OR reviewed_by <> recorded_by", name="four_eyes"),
        sa.CheckConstraint(
            "(status = 'recorded' AND reviewed_by IS NULL AND reviewed_at IS NULL) OR "
            "(status <> 'recorded' AND reviewed_by IS NOT NULL AND reviewed_at IS NOT NULL)",
            name="review_complete",
        ),
        sa.CheckConstraint("status <> 'rejected' OR length(rejection_reason) >= 3", name="rejection_reason"),
        # At most one certificate per medium waits for review at a time.
        sa.Index(
            "ix_wipe_certificates_open_medium",
            "medium_id",
            unique=True,
            sqlite_where=sa.text("status = 'recorded'"),
            postgresql_where=sa.text("status = 'recorded'"),
        ),
        sa.Index("ix_wipe_certificates_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    medium_id: int = Field(index=True)
    # The medium as it was when the certificate was recorded: a certificate is a document and does not drift.
    media_type: str = Field(max_length=16)
    media_serial: str | None = Field(default=None, max_length=128)
    method: str = Field(max_length=16)
    technique: str = Field(max_length=200)
    tool: str = Field(max_length=100)
    tool_version: str = Field(default="", max_length=50)
    verification_method: str = Field(max_length=16)
    verification_result: str = Field(max_length=500)
    performed_by: str = Field(max_length=200)
    performed_at: datetime = Field(sa_type=UTCDateTime)
    destination: str = Field(max_length=32)
    notes: str = Field(default="", sa_type=sa.Text)
    source: str = Field(default="manual", max_length=16)
    report_ref: str = Field(default="", max_length=100)
    document_id: int | None = Field(default=None, foreign_key="wipe_documents.id", index=True)
    policy_version: int
    status: str = Field(default="recorded", max_length=16)
    recorded_by: str = Field(max_length=100)
    recorded_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, max_length=100)
    reviewed_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejection_reason: str = Field(default="", sa_type=sa.Text)
    version: int = Field(default=1)


class NoMediaAttestation(SQLModel, table=True):
    """A helpdesk user's statement that a device holds no storage media (a monitor): its way through the gate."""

    __tablename__ = "no_media_attestations"

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", unique=True)
    statement: str = Field(sa_type=sa.Text)
    attested_by: str = Field(max_length=100)
    attested_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    attested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OverdueWipe(SQLModel, table=True):
    """A retired device the overdue-wipes job found waiting too long for its certificates (one flag per device)."""

    __tablename__ = "overdue_wipes"

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="devices.id", unique=True)
    retired_at: datetime = Field(sa_type=UTCDateTime)
    flagged_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    flagged_by: str = Field(max_length=100)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
