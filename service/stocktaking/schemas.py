from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from service.schemas import Strict
from service.stocktaking.report import result_of
from service.stocktaking.scope import why_not_lost


class AuditCreate(Strict):
    location: str = Field(
        default="", max_length=200, description="the registered location to count (for scope_kind location)"
    )
    scope_kind: Literal["location", "company"] = "location"
    company_id: int | None = Field(
        default=None, ge=1, description="whose devices; default: your only company, else the default company"
    )


class ScanBody(Strict):
    term: str = Field(min_length=1, max_length=128, description="an asset tag or serial number, as scanned")


class LostBody(Strict):
    device_ids: list[int] = Field(description="missing devices of this (closed) audit")
    reason: str | None = Field(default=None, min_length=3, max_length=2000)


class AuditOut(BaseModel):
    id: int
    company_id: int
    scope_kind: str
    scope_value: str
    status: str
    started_by: str
    started_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    expected: int = Field(description="devices registered here (frozen at the close)")
    found: int = Field(description="expected devices that were scanned")
    missing: int | None = Field(description="expected and not scanned; known from the close on")
    misplaced: int = Field(description="scanned here, registered elsewhere, not moved")
    moved: int = Field(description="misplaced devices moved here")
    unknown: int = Field(description="scans that match no device")
    version: int


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None


class ScanOut(BaseModel):
    id: int
    term: str
    result: str = Field(description="found, misplaced, moved or unknown")
    repeated: bool = Field(default=False, description="true: this device or term was scanned before; nothing changed")
    device_id: int | None
    asset_tag: str | None
    serial_number: str | None
    model: str | None
    registered_location: str
    scanned_by: str
    scanned_at: datetime
    moved_by: str | None
    moved_at: datetime | None

    @classmethod
    def of(cls, row: Any, repeated: bool = False) -> ScanOut:
        scan = row.StockAuditScan
        model = f"{row.manufacturer} {row.model_name}" if row.model_name else None
        return cls(
            id=scan.id,
            term=scan.term,
            result=result_of(scan),
            repeated=repeated,
            device_id=scan.device_id,
            asset_tag=row.asset_tag,
            serial_number=row.serial_number,
            model=model,
            registered_location=scan.registered_location,
            scanned_by=scan.scanned_by,
            scanned_at=scan.scanned_at,
            moved_by=scan.moved_by,
            moved_at=scan.moved_at,
        )


class ScanPage(BaseModel):
    items: list[ScanOut]
    next_cursor: str | None


class MissingOut(BaseModel):
    device_id: int
    asset_tag: str | None
    serial_number: str | None
    model: str
    status: str
    registered_location: str
    status_at_close: str
    lost_by: str | None
    lost_at: datetime | None
    cannot_report_lost: str | None = Field(description="why the lifecycle refuses a loss report now, if it does")

    @classmethod
    def of(cls, row: Any) -> MissingOut:
        missing = row.StockAuditMissing
        return cls(
            device_id=missing.device_id,
            asset_tag=row.asset_tag,
            serial_number=row.serial_number,
            model=f"{row.manufacturer} {row.model_name}",
            status=row.status,
            registered_location=missing.registered_location,
            status_at_close=missing.status_at_close,
            lost_by=missing.lost_by,
            lost_at=missing.lost_at,
            cannot_report_lost=None if missing.lost_at else why_not_lost(row.status),
        )


class MissingPage(BaseModel):
    items: list[MissingOut]
    next_cursor: str | None


class UploadOut(BaseModel):
    lines: int
    found: int
    misplaced: int
    unknown: int
    repeated: int


class LostOut(BaseModel):
    device_ids: list[int]
