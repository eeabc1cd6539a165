from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class JobRunOut(BaseModel):
    id: int
    job: str
    slot: str
    triggered_by: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any]
    message: str


class JobOut(BaseModel):
    name: str
    description: str
    trigger: str
    scheduled: bool
    recent_runs: list[JobRunOut]


class JobList(BaseModel):
    items: list[JobOut]
    next_cursor: str | None = None
