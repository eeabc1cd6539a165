"""Repairs: a row per trip to a repairer, kept in step with the device's ``repair`` and ``return`` moves.

The moves stay the only way to send a device away and back (POST /devices/{id}/repair and /return, or the
pages); move_device calls in here, so the history is complete whichever route moved the device.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.devices.models import DeviceEvent
from service.errors import InvalidInput
from service.faults.models import REPAIR_OUTCOMES, Fault, Repair
from service.i18n import _


async def open_fault_ids(session: AsyncSession, device_id: int) -> list[int]:
    statement = select(Fault.id).where(Fault.device_id == device_id, Fault.status == "open").order_by(Fault.id)  # type: ignore[arg-type]
    return [i for i in (await session.exec(statement)).all() if i is not None]


def _cents(details: dict[str, Any], key: str) -> int | None:
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


async def start_repair(session: AsyncSession, actor: Actor, device_id: int, event: DeviceEvent) -> Repair:
    """The device went to a repairer: which faults it went for (those named, else every open one)."""
    details = event.details or {}
    open_ids = await open_fault_ids(session, device_id)
    named = details.get("fault_ids")
    if named is None:
        fault_ids = open_ids
    else:
        if not isinstance(named, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in named):
            raise InvalidInput.field("fault_ids", _("must be a list of fault ids"))
        stray = [i for i in named if i not in open_ids]
        if stray:
            raise InvalidInput.field(
                "fault_ids",
                _("fault {id} is not an open fault of device {device}").format(id=stray[0], device=device_id),
            )
        fault_ids = sorted(set(named))
    assert event.id is not None
    repair = Repair(
        device_id=device_id,
        supplier=str(details.get("supplier") or "")[:200],
        expected_cost_cents=_cents(details, "expected_cost_cents"),
        fault_ids=fault_ids,
        reason=event.reason,
        sent_by=actor.name,
        sent_at=event.at,
        sent_event_id=event.id,
    )
    session.add(repair)
    await session.flush()
    await audit.record(session, actor, "repair.create", "repair", repair.id, after=audit.snapshot(repair))
    return repair


async def _open_repair(session: AsyncSession, device_id: int) -> Repair | None:
    statement = (
        select(Repair)
        .where(Repair.device_id == device_id, Repair.returned_at.is_(None))  # type: ignore[union-attr]
        .order_by(Repair.id.desc())  # type: ignore[union-attr]
        .limit(1)
        .with_for_update()
    )
    return (await session.exec(statement)).first()


async def finish_repair(
    session: AsyncSession, actor: Actor, device_id: int, event: DeviceEvent, *, outcome: str | None = None
) -> Repair | None:
    """The device came back (or left service while away): cost and outcome close the open repair, if any."""
    repair = await _open_repair(session, device_id)
    if repair is None:
        return None
    details = event.details or {}
    before = audit.snapshot(repair)
    given = outcome or details.get("outcome")
    repair.outcome = given if given in REPAIR_OUTCOMES else "repaired"
    repair.cost_cents = _cents(details, "cost_cents")
    repair.returned_by, repair.returned_at, repair.return_event_id = actor.name, event.at, event.id
    repair.notes = event.reason if outcome is None else f"The device was {event.to_status} while at the repairer."
    await session.flush()
    changed_before, changed_after = audit.changed(before, audit.snapshot(repair))
    await audit.record(session, actor, "repair.return", "repair", repair.id, before=changed_before, after=changed_after)
    return repair


async def repair_history(session: AsyncSession, device_id: int) -> list[Repair]:
    statement = select(Repair).where(Repair.device_id == device_id).order_by(Repair.id)  # type: ignore[arg-type]
    return list((await session.exec(statement)).all())

