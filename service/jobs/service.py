"""Running jobs: claim the slot, do the work in one transaction, record the outcome."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.db import is_postgres, session_scope, utcnow
from service.errors import Conflict
from service.i18n import _, format_moment
from service.jobs.locks import job_lock
from service.jobs.models import JobRun
from service.jobs.registry import Job
from service.ports import Ports
from service.settings import Settings

log = structlog.get_logger("kringloop.jobs")


def schedule_slot(job: Job, at: datetime) -> str:
    """The claim key of a scheduled firing: instances that fire within one window share it."""
    return f"at:{int(at.timestamp()) // job.slot_seconds * job.slot_seconds}"


def manual_slot() -> str:
    return f"manual:{uuid.uuid4().hex}"


# Advisory lock space of running jobs (the second key is the run's id): "JR".
_RUN_LOCKS = 0x4A52
ABANDONED_MESSAGE = (
    "The process running this job stopped before it finished (it was killed or its machine was lost); "
    "what it had not committed was rolled back. Run the job again."
)


@contextlib.asynccontextmanager
async def _claimed(sessionmaker: async_sessionmaker[AsyncSession], job: Job, slot: str,
                   triggered_by: str) -> AsyncIterator[int | None]:  # fmt: skip
    """Claims ``slot`` and yields the new run's id, or None when another instance holds the claim.

    On PostgreSQL the claiming connection also takes a session-level advisory lock on the run, before the claim
    becomes visible, and keeps it until the run ends: the server frees it when the process dies, so a run still
    'running' whose lock is free was abandoned (``mark_abandoned``)."""
    engine = sessionmaker.kw["bind"]
    async with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        try:
            run_id = (
                await conn.execute(
                    sa.insert(JobRun)
                    .values(
                        job=job.name,
                        slot=slot,
                        triggered_by=triggered_by,
                        started_at=utcnow(),
                        outcome="running",
                        counts={},
                        message="",
                    )
                    .returning(JobRun.id)  # type: ignore[arg-type]
                )
            ).scalar_one()
            if postgres:
                await conn.execute(sa.select(sa.func.pg_advisory_lock(_RUN_LOCKS, run_id)))
            await conn.commit()
        except IntegrityError:
            await conn.rollback()
            yield None
            return
        try:
            yield run_id
        finally:
            if postgres:
                await conn.execute(sa.select(sa.func.pg_advisory_unlock(_RUN_LOCKS, run_id)))
                await conn.commit()


async def _record_claimed_elsewhere(
    sessionmaker: async_sessionmaker[AsyncSession], job: Job, slot: str, triggered_by: str
) -> None:
    async with session_scope(sessionmaker) as session:
        now = utcnow()
        session.add(JobRun(
            job=job.name, slot=slot, triggered_by=triggered_by, started_at=now, finished_at=now,
            outcome="already_claimed", message="Another instance had already claimed this run; this one did nothing.",
        ))  # fmt: skip


async def mark_abandoned(session: AsyncSession, job_name: str) -> int:
    """Marks the runs of ``job_name`` left 'running' by a process that died as abandoned; returns how many.

    PostgreSQL only: there a live run holds its advisory lock. SQLite runs in one process, which cannot tell
    another process's live run from a dead one."""
    if not is_postgres(session):
        return 0
    running = await session.execute(
        sa.select(JobRun.id).where(JobRun.job == job_name, JobRun.outcome == "running")  # type: ignore[arg-type]
    )
    abandoned = 0
    for run_id in running.scalars().all():
        # A live run's process holds this lock, so getting it means that process is gone (ours to the commit).
        if (await session.execute(sa.select(sa.func.pg_try_advisory_xact_lock(_RUN_LOCKS, run_id)))).scalar_one():
            await session.execute(
                sa.update(JobRun)
                .where(JobRun.id == run_id, JobRun.outcome == "running")  # type: ignore[arg-type]
                .values(finished_at=utcnow(), outcome="abandoned", message=ABANDONED_MESSAGE)
            )
            log.warning("job_run_abandoned", job=job_name, run_id=run_id)
            abandoned += 1
    return abandoned


async def _finish(session: AsyncSession, run_id: int, outcome: str, counts: dict[str, Any], message: str) -> None:
    await session.execute(
        sa.update(JobRun)
        .where(JobRun.id == run_id)  # type: ignore[arg-type]
        .values(finished_at=utcnow(), outcome=outcome, counts=counts, message=message)
    )


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: Job,
    *,
    slot: str,
    triggered_by: str,
    ports: Ports,
    settings: Settings,
) -> JobRun | None:
    """Runs ``job`` once for ``slot``; returns None when another instance already claimed the slot (and records
    that it found it claimed).

    The work commits in its own transaction, together with the run's outcome; a failure rolls the work back
    completely and is recorded on the run, so a job is never half done. Runs of this job that a dead process
    left running are marked abandoned first."""
    async with session_scope(sessionmaker) as session:
        await mark_abandoned(session, job.name)
    async with _claimed(sessionmaker, job, slot, triggered_by) as run_id:
        if run_id is None:
            log.info("job_slot_taken", job=job.name, slot=slot)
            await _record_claimed_elsewhere(sessionmaker, job, slot, triggered_by)
            return None
        counts: dict[str, Any] = {}
        outcome = "succeeded"
        try:
            async with session_scope(sessionmaker) as session:
                counts = await job.work(session, Actor.system(job.name), ports, settings)
                await _finish(session, run_id, outcome, counts, "")
        except Exception as exc:  # the job failed: its work is rolled back, the failure is recorded
            outcome = "failed"
            log.error("job_failed", job=job.name, slot=slot, exc_info=exc)
            async with session_scope(sessionmaker) as session:
                await _finish(session, run_id, outcome, counts, f"{type(exc).__name__}: {exc}"[:2000])
        async with session_scope(sessionmaker) as session:
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
            raise JobBusy(_busy_message(job.name, running, settings), job=job.name)
        run = await run_job(
            sessionmaker, job, slot=manual_slot(), triggered_by=triggered_by, ports=ports, settings=settings
        )
    assert run is not None  # a manual slot is never taken
    return run


def _busy_message(name: str, running: JobRun | None, settings: Settings) -> str:
    # Two whole sentences rather than an optional fragment glued in: a translator sees each one complete.
    if running is None:
        return _(
            "The {job} job is busy: another run is working. Wait for it to finish; "
            "its outcome appears in the job's recent runs."
        ).format(job=name)
    since = _("started {when} by {who}").format(
        when=format_moment(running.started_at, settings.tz), who=running.triggered_by
    )
    return _(
        "The {job} job is busy: another run is working ({since}). Wait for it to finish; "
        "its outcome appears in the job's recent runs."
    ).format(job=name, since=since)


async def _running(session: AsyncSession, name: str) -> JobRun | None:
    stmt = select(JobRun).where(JobRun.job == name, JobRun.outcome == "running").order_by(JobRun.id.desc()).limit(1)  # type: ignore[union-attr]
    return (await session.exec(stmt)).first()


async def last_runs(session: AsyncSession, names: list[str], per_job: int = 5) -> dict[str, list[JobRun]]:
    out: dict[str, list[JobRun]] = {}
    for name in names:
        stmt = select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc()).limit(per_job)  # type: ignore[union-attr]
        out[name] = list((await session.exec(stmt)).all())
    return out


async def run_of(session: AsyncSession, job: str, run_id: int) -> JobRun | None:
    """One recorded run of the named job (None when the id is another job's)."""
    run = await session.get(JobRun, run_id)
    return run if run is not None and run.job == job else None
