"""The donation run (quarterly by default) and statement delivery (every minute) as scheduled jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

import service.models  # noqa: F401  (every table: the CLI runs jobs without the app, and flushes need all of them)
from service.context import Actor
from service.donations.run import run_donations
from service.jobs.crontab import cron_fields
from service.jobs.registry import Job
from service.ports import Ports
from service.settings import Settings
from service.statements import delivery


async def donations(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    return (await run_donations(session, actor, settings)).counts()


async def statement_delivery(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    lease = timedelta(seconds=settings.charity_webhook_timeout_seconds * 2 + 60)
    claimed = await delivery.claim_due(session, lease=lease)
    if not claimed:
        return {"sent": 0}
    # The claim is committed before any charity is called: no lock is held while a charity answers, and another
    # instance sees the deliveries as taken until the lease runs out.
    await session.commit()
    results = [await delivery.send(ports.charity, outgoing) for outgoing in claimed]
    counts = await delivery.record(
        session,
        actor,
        results,
        max_attempts=settings.statement_delivery_max_attempts,
        backoff_seconds=settings.statement_delivery_backoff_seconds,
    )
    return {"sent": len(results), **counts}


def donation_jobs(settings: Settings) -> list[Job]:
    return [
        Job(
            name="donations",
            description="Drafts one donation per active charity from the unallocated pool credits, by share.",
            work=donations,
            trigger=("cron", cron_fields(settings.donations_cron)),
            slot_seconds=3600,
        ),
        Job(
            name="statement-delivery",
            description="Sends issued statements to the charities' webhooks, retrying with backoff.",
            work=statement_delivery,
            trigger=("interval", {"seconds": settings.statement_delivery_interval_seconds}),
            slot_seconds=settings.statement_delivery_interval_seconds,
        ),
    ]
