"""Read queries for devices: one round trip per page or device, joined with model and holder."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.device_models.models import DeviceModel
from service.devices.models import Device, DeviceEvent
from service.employees.models import Employee
from service.errors import InvalidInput, NotFound
from service.pagination import Page, keyset, page_of

_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_employees: sa.Table = Employee.__table__  # type: ignore[attr-defined]

# Plain table columns, so reading a view is a Core statement: no ORM compile step, no entity loading.
_VIEW_COLUMNS = (
    *_devices.columns,
    _models.c.name.label("model_name"),
    _models.c.category.label("category"),
    _employees.c.name.label("holder_name"),
)


def _view() -> sa.Select[Any]:
    return sa.select(*_VIEW_COLUMNS).select_from(
        _devices.join(_models, _models.c.id == _devices.c.model_id).outerjoin(
            _employees, _employees.c.id == _devices.c.holder_id
        )
    )


# Built once: SQLAlchemy memoizes its cache key on this object, so each request is a compiled-cache hit.
_DEVICE_VIEW = _view().where(_devices.c.id == sa.bindparam("device_id"))


async def device_view(db: AsyncSession | AsyncConnection, device_id: int) -> sa.Row[Any]:
    """One device with its model and holder names: the request's session, or a read-only connection."""
    row = (await db.execute(_DEVICE_VIEW, {"device_id": device_id})).first()
    if row is None:
        raise NotFound(f"No device has id {device_id}.")
    return row


async def list_device_views(
    session: AsyncSession,
    *,
    status: list[str] | None = None,
    holder_id: int | None = None,
    model_id: int | None = None,
    category: str | None = None,
    q: str | None = None,
    cursor: str | None,
    limit: int,
) -> Page[sa.Row[Any]]:
    stmt = _view()
    if status:
        from service.devices.models import STATUSES

        unknown = [s for s in status if s not in STATUSES]
        if unknown:
            raise InvalidInput.field("status", f"unknown status {unknown[0]!r}; use one of {', '.join(STATUSES)}")
        stmt = stmt.where(Device.status.in_(status))  # type: ignore[attr-defined]
    if holder_id is not None:
        stmt = stmt.where(Device.holder_id == holder_id)
    if model_id is not None:
        stmt = stmt.where(Device.model_id == model_id)
    if category:
        stmt = stmt.where(DeviceModel.category == category)
    if q and q.strip():
        term = q.strip().lower()
        like = f"%{term}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Device.asset_tag).like(like),
                sa.func.lower(Device.serial_number).like(like),
                sa.func.lower(Employee.name).like(like),
                sa.func.lower(DeviceModel.name).like(like),
            )
        )
    rows = (await session.execute(keyset(stmt, Device.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def list_events(session: AsyncSession, device_id: int, *, cursor: str | None, limit: int) -> Page[DeviceEvent]:
    if await session.get(Device, device_id) is None:
        raise NotFound(f"No device has id {device_id}.")
    stmt = select(DeviceEvent).where(DeviceEvent.device_id == device_id)
    rows = (await session.exec(keyset(stmt, DeviceEvent.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    rows = (await session.execute(sa.select(Device.status, sa.func.count()).group_by(Device.status))).all()
    return {status: n for status, n in rows}
