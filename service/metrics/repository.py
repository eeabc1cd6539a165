"""The figures a scrape reads from the database: one aggregate query each, installation-wide."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.devices.models import Device
from service.jobs.models import JobRun
from service.pool import service as pool


@dataclass(frozen=True)
class Snapshot:
    pool_balance_cents: int
    devices_by_status: dict[str, int]
    job_runs: dict[tuple[str, str], int]


async def snapshot(session: AsyncSession) -> Snapshot:
    devices = await session.execute(sa.select(Device.status, sa.func.count()).group_by(Device.status))
    runs = await session.execute(
        sa.select(JobRun.job, JobRun.outcome, sa.func.count()).group_by(JobRun.job, JobRun.outcome)
    )
    return Snapshot(
        pool_balance_cents=await pool.balance(session),
        devices_by_status={status: int(n) for status, n in devices.all()},
        job_runs={(job, outcome): int(n) for job, outcome, n in runs.all()},
    )
