"""Read queries for faults and lifetime figures."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.device_models.models import DeviceModel
from service.devices.lifecycle import Move
from service.devices.models import Device, DeviceEvent
from service.errors import InvalidInput, NotFound
from service.faults.lifetime import Retirement
from service.faults.models import DECISIONS, FAULT_STATUSES, Fault, Repair
from service.i18n import _
from service.pagination import Page, keyset, page_of

_dev: sa.Table = Device.__table__  # type: ignore[attr-defined]
_mod: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_ev: sa.Table = DeviceEvent.__table__  # type: ignore[attr-defined]
_faults: sa.Table = Fault.__table__  # type: ignore[attr-defined]
_repairs: sa.Table = Repair.__table__  # type: ignore[attr-defined]


def _check_status(status: str | None) -> None:
    if status and status not in FAULT_STATUSES:
        raise InvalidInput.field(
            "status",
            _("unknown status {status}; use one of {FAULT_STATUSES}").format(
                status=repr(status), FAULT_STATUSES=", ".join(FAULT_STATUSES)
            ),
        )


async def list_device_faults(
    session: AsyncSession, device_id: int, *, status: str | None, cursor: str | None, limit: int
) -> Page[Fault]:
    _check_status(status)
    if await session.get(Device, device_id) is None:
        raise NotFound(_("No device has id {device_id}.").format(device_id=device_id))
    statement = select(Fault).where(Fault.device_id == device_id)
    if status:
        statement = statement.where(Fault.status == status)
    rows = (await session.exec(keyset(statement, Fault.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def list_faults(
    session: AsyncSession, *, status: str | None, decision: str | None, cursor: str | None, limit: int
) -> Page[sa.Row[Any]]:
    """Faults across the fleet with their device's tag, model and status (the helpdesk's queue)."""
    _check_status(status)
    if decision and decision not in (*DECISIONS, "undiagnosed"):
        choices = ", ".join((*DECISIONS, "undiagnosed"))
        raise InvalidInput.field(
            "decision",
            _("unknown decision {decision}; use one of {choices}").format(decision=repr(decision), choices=choices),
        )
    statement = sa.select(
        _faults,
        _dev.c.asset_tag,
        _dev.c.serial_number,
        _dev.c.status.label("device_status"),
        _mod.c.name.label("model_name"),
        _mod.c.category.label("device_category"),
    ).select_from(_faults.join(_dev, _dev.c.id == _faults.c.device_id).join(_mod, _mod.c.id == _dev.c.model_id))
    if status:
        statement = statement.where(_faults.c.status == status)
    if decision == "undiagnosed":
        statement = statement.where(_faults.c.decision.is_(None))
    elif decision:
        statement = statement.where(_faults.c.decision == decision)
    rows = (await session.execute(keyset(statement, _faults.c.id, cursor, limit))).all()
    return page_of(list(rows), limit)


def _retirements() -> sa.Select[Any]:
    successor = _dev.alias("successor")
    return (
        sa.select(
            _dev.c.id,
            _dev.c.asset_tag,
            _dev.c.purchase_date,
            _mod.c.category,
            _mod.c.name.label("model_name"),
            _ev.c.id.label("event_id"),
            _ev.c.at.label("retired_at"),
            _ev.c.reason,
            successor.c.id.label("successor_id"),
        )
        .select_from(
            _ev.join(_dev, _dev.c.id == _ev.c.device_id)
            .join(_mod, _mod.c.id == _dev.c.model_id)
            .outerjoin(successor, successor.c.replaces_id == _dev.c.id)
        )
        .where(_ev.c.move == Move.retire.value)
    )


async def retired_devices(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[sa.Row[Any]]:
    """A page of retirements, each with the total its device cost in repairs (cents)."""
    repair_cost = (
        sa.select(sa.func.coalesce(sa.func.sum(_repairs.c.cost_cents), 0))
        .where(_repairs.c.device_id == _dev.c.id)
        .scalar_subquery()
    )
    statement = _retirements().add_columns(repair_cost.label("repair_cost_cents"))
    rows = (await session.execute(keyset(statement, _ev.c.id, cursor, limit))).all()
    return page_of(list(rows), limit, id_of=lambda row: row.event_id)


async def all_retirements(session: AsyncSession, tz: ZoneInfo) -> list[Retirement]:
    """Every retirement, for the per-category averages (one small row per retired device)."""
    rows = (await session.execute(_retirements())).all()
    return [
        Retirement(r.category, r.purchase_date, r.retired_at.astimezone(tz).date(), r.successor_id is not None)
        for r in rows
    ]


async def retirement_of(session: AsyncSession, device_id: int) -> sa.Row[Any] | None:
    return (await session.execute(_retirements().where(_dev.c.id == device_id))).first()


async def faults_of_device(session: AsyncSession, device_id: int) -> list[Fault]:
    """All of a device's faults, newest first (the device page shows them whole: a device has a handful)."""
    statement = sa.select(Fault).where(Fault.device_id == device_id).order_by(Fault.id.desc())  # type: ignore[arg-type]
    return list((await session.execute(statement)).scalars().all())
