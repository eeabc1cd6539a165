"""Request and response shapes of storage media, wipe certificates and attestations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from service.schemas import Strict
from service.wipes.policy import MAX_CAPACITY

MediaType = Literal["hdd", "ssd", "emmc", "phone_memory", "sd_card", "other"]
Method = Literal["clear", "purge", "destroy"]
Destination = Literal["internal_reuse", "external_reuse", "recycling_facility", "manufacturer", "other"]
VerificationMethod = Literal["full", "sampling", "other"]


class MediumCreate(Strict):
    media_type: MediaType
    serial: str | None = Field(default=None, min_length=1, max_length=128)
    capacity_bytes: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    description: str = Field(default="", max_length=200, description="where it sits, e.g. 'second M.2 slot'")


class MediumUpdate(Strict):
    version: int = Field(ge=1)
    media_type: MediaType | None = None
    serial: str | None = Field(default=None, min_length=1, max_length=128)
    capacity_bytes: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    description: str | None = Field(default=None, max_length=200)


class CertificateSummary(BaseModel):
    id: int
    status: str
    method: str
    accepted: bool


class MediumOut(BaseModel):
    id: int
    device_id: int
    media_type: MediaType
    serial: str | None
    capacity_bytes: int | None
    description: str
    source: str
    version: int
    created_at: datetime
    updated_at: datetime
    # needs_certificate | awaiting_review | sanitized
    wipe_status: str
    accepted_methods: list[Method]
    certificates: list[CertificateSummary]


class MediumPage(BaseModel):
    items: list[MediumOut]
    next_cursor: str | None


class AttestationBody(Strict):
    statement: str = Field(min_length=3, max_length=2000, description="why the device holds no storage media")
    version: int | None = Field(default=None, ge=1, description="the device's version, if you want it checked")


class AttestationOut(BaseModel):
    id: int
    device_id: int
    statement: str
    attested_by: str
    attested_at: datetime
    device_status: str


class CertificateCreate(Strict):
    medium_id: int = Field(ge=1)
    method: Method
    technique: str = Field(min_length=2, max_length=200, description="e.g. crypto erase, block erase, overwrite")
    tool: str = Field(min_length=1, max_length=100)
    tool_version: str = Field(default="", max_length=50)
    verification_method: VerificationMethod
    verification_result: str = Field(min_length=2, max_length=500)
    performed_by: str = Field(min_length=2, max_length=200)
    performed_at: AwareDatetime
    destination: Destination = "external_reuse"
    notes: str = Field(default="", max_length=5000)


class DocumentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    url: str


class CertificateOut(BaseModel):
    id: int
    device_id: int
    asset_tag: str | None
    medium_id: int
    media_type: MediaType
    media_serial: str | None
    method: Method
    technique: str
    tool: str
    tool_version: str
    verification_method: VerificationMethod
    verification_result: str
    performed_by: str
    performed_at: datetime
    destination: Destination
    notes: str
    source: str
    report_ref: str
    document: DocumentOut | None
    policy_version: int
    policy_accepts: bool
    status: str
    recorded_by: str
    recorded_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    rejection_reason: str
    version: int


class CertificatePage(BaseModel):
    items: list[CertificateOut]
    next_cursor: str | None


class ReviewBody(Strict):
    version: int | None = Field(default=None, ge=1, description="the certificate's version, if you want it checked")


class RejectBody(Strict):
    reason: str = Field(min_length=3, max_length=2000)
    version: int | None = Field(default=None, ge=1)


class ReviewOut(BaseModel):
    certificate: CertificateOut
    device_status: str
    # Set when this verification carried the device through the gate (retired -> wiped).
    device_wiped: bool


class ImportFileResult(BaseModel):
    filename: str
    sha256: str | None
    outcome: Literal["recorded", "refused"]
    reason: str | None
    device_id: int | None
    certificate_ids: list[int]
    media_added: list[int]


class ImportResult(BaseModel):
    recorded: int
    refused: int
    files: list[ImportFileResult]


class GateOut(BaseModel):
    device_id: int
    device_status: str
    passed: bool
    blockers: list[str]
    policy_version: int
