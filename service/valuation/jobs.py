"""The monthly fleet revaluation job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.jobs.registry import Job
from service.ports import Ports
from service.settings import Settings
from service.valuation.revalue import revalue_fleet
from service.valuation.service import ensure_saved


async def revalue(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    # The fleet values name the policy version they were computed with: it must be a stored one.
    version, policy = await ensure_saved(session, actor)
    return await revalue_fleet(session, policy, version, datetime.now(settings.tz).date())


REVALUE = Job(
    name="revalue",
    description="Indicative current value of every device in service, for the finance dashboard (not credited).",
    work=revalue,
    trigger=("cron", {"day": 1, "hour": 4, "minute": 0}),
)
