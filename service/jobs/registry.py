"""Scheduled jobs are declared in code: a name, a schedule, and a coroutine doing the work.

A job's work function gets a session (committed by the runner), the acting identity and the ports,
and returns counts for the job-run record. Features declare their jobs in their own ``jobs.py``; the installation's
list is assembled above them all, in ``service.bootstrap.declared_jobs``, so this module imports no feature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.ports import Ports
from service.settings import Settings

JobWork = Callable[[AsyncSession, Actor, Ports, Settings], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    work: JobWork
    # APScheduler 3 trigger: ("cron", {"hour": 3}) or ("interval", {"seconds": 30}).
    trigger: tuple[str, dict[str, Any]] = ("cron", {"hour": 3, "minute": 0})
    # Runs fired within the same window share one claim slot, so two instances never both run it.
    slot_seconds: int = 60
    options: dict[str, Any] = field(default_factory=dict)
