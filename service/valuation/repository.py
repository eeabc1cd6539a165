"""Read queries of the valuation, including what it needs from other features' tables.

The faults a buyer would still have to fix are read here, straight from the faults table, rather than
through service/faults: the fault diagnosis asks the valuation policy for a working unit's value, so the
faults service imports valuation and valuation must not import it back.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.faults.models import Fault
from service.valuation.estimator import FaultFact
from service.valuation.models import Disposition

# Faults that closed because their device left service were never repaired: a buyer still has them.
_LEFT_WITH_THE_DEVICE = ("device_retired", "device_lost")


async def faults_for_valuation(session: AsyncSession, device_id: int) -> list[FaultFact]:
    """The faults a buyer would still have to fix: open ones, and those that closed because the device left."""
    statement = (
        select(Fault)
        .where(Fault.device_id == device_id)
        .where((Fault.status == "open") | Fault.resolution.in_(_LEFT_WITH_THE_DEVICE))  # type: ignore[union-attr]
        .order_by(Fault.id)  # type: ignore[arg-type]
    )
    return [
        FaultFact(category=f.category, repair_cost_cents=f.repair_cost_cents, repairable=f.repairable)
        for f in (await session.exec(statement)).all()
    ]


async def disposition_of(session: AsyncSession, device_id: int) -> Disposition | None:
    """How a device left, once it was disposed of (at most one per device)."""
    return (await session.exec(select(Disposition).where(Disposition.device_id == device_id))).first()
