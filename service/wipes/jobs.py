"""The daily ``overdue-wipes`` job: flags devices retired longer than the setting allows without passing the gate.

A retired device leaves ``retired`` only through the wipe gate, so "retired for more than N days" is exactly
"without the verified certificates it needs". A flag is one row per device; the INSERT ... ON CONFLICT DO
NOTHING RETURNING claims it, so a manual run racing a scheduled one never flags (or audits) a device twice.
Flags of devices that have since passed the gate are resolved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.db import is_postgres, utcnow
from service.devices.models import Device
from service.jobs.registry import Job
from service.ports import Ports
from service.settings import Settings
from service.wipes.models import OverdueWipe

_CHUNK = 1000
_dev: sa.Table = Device.__table__  # type: ignore[attr-defined]
_flags: sa.Table = OverdueWipe.__table__  # type: ignore[attr-defined]


async def flag_overdue_wipes(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    now = utcnow()
    cutoff = now - timedelta(days=settings.wipe_overdue_days)
    resolved = (
        (
            await session.execute(
                sa.update(_flags)
                .where(
                    _flags.c.resolved_at.is_(None),
                    _flags.c.device_id.in_(sa.select(_dev.c.id).where(_dev.c.status != "retired")),
                )
                .values(resolved_at=now)
                .returning(_flags.c.device_id)
            )
        )
        .scalars()
        .all()
    )
    if resolved:
        await audit.record(
            session,
            actor,
            "overdue_wipe.resolve",
            "device",
            _span(list(resolved)),
            after={"device_ids": sorted(resolved)},
        )
    insert = pg_insert if is_postgres(session) else sqlite_insert
    due = (
        await session.execute(
            sa.select(_dev.c.id, _dev.c.status_changed_at)
            .where(_dev.c.status == "retired", _dev.c.status_changed_at < cutoff)
            .where(~sa.exists().where(_flags.c.device_id == _dev.c.id))
            .order_by(_dev.c.id)
        )
    ).all()
    flagged: list[int] = []
    for i in range(0, len(due), _CHUNK):
        rows = [
            {"device_id": d.id, "retired_at": d.status_changed_at, "flagged_at": now, "flagged_by": actor.name}
            for d in due[i : i + _CHUNK]
        ]
        statement = insert(_flags).values(rows).on_conflict_do_nothing(index_elements=["device_id"])
        claimed = (await session.execute(statement.returning(_flags.c.device_id))).scalars().all()
        claimed = sorted(claimed)
        flagged.extend(claimed)
        if claimed:
            await audit.record(
                session,
                actor,
                "overdue_wipe.flag",
                "device",
                _span(claimed),
                after={"device_ids": claimed, "overdue_after_days": settings.wipe_overdue_days},
            )
    return {"flagged": len(flagged), "resolved": len(resolved), "overdue_after_days": settings.wipe_overdue_days}


def _span(ids: list[int]) -> str:
    ids = sorted(ids)
    return str(ids[0]) if len(ids) == 1 else f"{ids[0]}..{ids[-1]}"


OVERDUE_WIPES = Job(
    name="overdue-wipes",
    description="Flags devices retired longer than KRINGLOOP_WIPE_OVERDUE_DAYS without the verified wipe "
    "certificates they need; the dashboard lists them for helpdesk.",
    work=flag_overdue_wipes,
    trigger=("cron", {"hour": 6, "minute": 45}),
)
