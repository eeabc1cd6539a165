"""APScheduler 3 with a memory job store: the schedule lives in code, the runs in our table."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import utcnow
from service.jobs.locks import job_lock
from service.jobs.registry import Job
from service.jobs.service import run_job, schedule_slot
from service.ports import Ports
from service.settings import Settings


def build_scheduler(
    sessionmaker: async_sessionmaker[AsyncSession], jobs: dict[str, Job], ports: Ports, settings: Settings
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    for job in jobs.values():

        async def fire(job: Job = job) -> None:
            # Held when free, so a person asking for a run meanwhile is told the job is busy; a scheduled run
            # never waits for it (its slot claim already keeps instances apart).
            async with job_lock(sessionmaker.kw["bind"], settings, job.name):
                await run_job(
                    sessionmaker,
                    job,
                    slot=schedule_slot(job, utcnow()),
                    triggered_by="scheduler",
                    ports=ports,
                    settings=settings,
                )

        kind, args = job.trigger
        # coalesce + max_instances=1: a slow run is never overlapped by the next firing in this instance.
        scheduler.add_job(
            fire, kind, id=job.name, name=job.name, coalesce=True, max_instances=1, misfire_grace_time=300, **args
        )
    return scheduler
