"""Running jobs: claim the slot, do the work in one transaction, record the outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.bootstrap import Ports
from service.context import Actor
from service.db import session_scope, utcnow
from service.errors import Conflict
from service.jobs.locks import job_lock
from service.jobs.models import JobRun
from service.jobs.registry import Job
from service.settings import Settings

log = structlog.get_logger("kringloop.jobs")


def schedule_slot(job: Job, at: datetime) -> str:
    """The claim key of a scheduled firing: instances that fire within one window share it."""
    return f"at:{int(at.timestamp()) // job.slot_seconds * job.slot_seconds}"


def manual_slot() -> str:
    return f"manual:{uuid.uuid4().hex}"


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: Job,
    *,
    slot: str,
    triggered_by: str,
    ports: Ports,
    settings: Settings,
) -> JobRun | None:
    """Runs ``job`` once for ``slot``; returns None when another instance already claimed the slot.

    The work commits in its own transaction; a failure rolls the work back completely and is
    recorded on the run, so a job is never half done."""
    try:
        async with session_scope(sessionmaker) as session:
            run = JobRun(job=job.name, slot=slot, triggered_by=triggered_by)
            session.add(run)
            await session.flush()
            run_id = run.id
    except IntegrityError:
        log.info("job_slot_taken", job=job.name, slot=slot)
        return None
    counts: dict[str, Any] = {}
    outcome, message = "succeeded", ""
    try:
        async with session_scope(sessionmaker) as session:
            counts = await job.work(session, Actor.system(job.name), ports, settings)
    except Exception as exc:  # the job failed: its work is rolled back, the failure is recorded
        outcome, message = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        log.error("job_failed", job=job.name, slot=slot, exc_info=exc)
    async with session_scope(sessionmaker) as session:
        await session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id)
            .values(finished_at=utcnow(), outcome=outcome, counts=counts, message=message)
        )
        run = await session.get(JobRun, run_id)
    log.info("job_finished", job=job.name, slot=slot, outcome=outcome, counts=counts)
    return run


class JobBusy(Conflict):
    type_slug = "job-busy"


async def run_manually(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: Job,
    *,
    triggered_by: str,
    ports: Ports,
    settings: Settings,
) -> JobRun:
    """Runs ``job`` now for a person (page, API, CLI); JobBusy (409) while another run of it is working.

    The work itself is safe beside another run (jobs claim their rows); refusing is for the person, who would
    otherwise see a second run that found nothing to do and wonder where the work went."""
    async with job_lock(sessionmaker.kw["bind"], settings, job.name) as held:
        if not held:
            async with session_scope(sessionmaker) as session:
                running = await _running(session, job.name)
            started = running.started_at.astimezone(settings.tz) if running else None
            since = f" (started {started:%d %b %Y %H:%M} by {running.triggered_by})" if running else ""
            raise JobBusy(
                f"The {job.name} job is busy: another run is working{since}. Wait for it to finish; "
                "its outcome appears in the job's recent runs.",
                job=job.name,
            )
        run = await run_job(
            sessionmaker, job, slot=manual_slot(), triggered_by=triggered_by, ports=ports, settings=settings
        )
    assert run is not None  # a manual slot is never taken
    return run


async def _running(session: AsyncSession, name: str) -> JobRun | None:
    stmt = select(JobRun).where(JobRun.job == name, JobRun.outcome == "running").order_by(JobRun.id.desc()).limit(1)  # type: ignore[union-attr]
    return (await session.exec(stmt)).first()


async def last_runs(session: AsyncSession, names: list[str], per_job: int = 5) -> dict[str, list[JobRun]]:
    out: dict[str, list[JobRun]] = {}
    for name in names:
        stmt = select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc()).limit(per_job)  # type: ignore[union-attr]
        out[name] = list((await session.exec(stmt)).all())
    return out
