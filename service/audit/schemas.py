from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditRecordOut(BaseModel):
    id: int
    seq: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    correlation_id: str
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordOut]
    next_cursor: str | None


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    first_broken_seq: int | None
    reason: str | None
