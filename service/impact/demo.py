"""Three years of history for the demo organisation, so every impact chart shows something real (demo mode only).

The demo is loaded in one go today; the other demo steps retire, value and donate through the services, all at
the moment of loading. This step records some second-life disposals and the models' procurement attributes the
same way, and then moves the dates of what happened into the past (retirements, successors' purchases, pool
entries, donations, disposals), keeping their order, as if the three years had really passed. Only dates move:
no amount, state or link changes, and the pool's running balances stay in the same order.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.compensation.models import CompensationObligation
from service.compensation.service import compensation_rules
from service.context import Actor
from service.device_models import service as device_models
from service.device_models.models import DeviceModel
from service.device_models.schemas import DeviceModelUpdate
from service.devices.lifecycle import Move
from service.devices.models import Device, DeviceEvent
from service.donations.models import Donation
from service.errors import DomainError
from service.pool.models import PoolEntry
from service.settings import Settings
from service.valuation import service as valuation
from service.valuation.models import Disposition

FINANCE = Actor(name="finance")
HISTORY_MONTHS = 34
# (manufacturer, model) -> procurement attributes, after the labels these models carry (illustrative demo data).
PROCUREMENT = {
    ("Fairphone", "Fairphone 5"): dict(
        e_waste_compensated=True,
        declared_lifetime_months=96,
        repairability_score="9.3",
        certifications=[{"scheme": "TCO Certified Edge", "level": "E-waste compensated", "expires_on": "2027-12-31"}],
    ),
    ("Dell", "Latitude 5440"): dict(
        declared_lifetime_months=60,
        repairability_score="8.1",
        certifications=[
            {"scheme": "EPEAT", "level": "Gold", "expires_on": "2027-06-30"},
            {"scheme": "TCO Certified", "level": "Generation 9", "expires_on": None},
        ],
    ),
    ("Lenovo", "ThinkPad T14 Gen 4"): dict(
        e_waste_compensated=True,
        declared_lifetime_months=60,
        repairability_score="7.6",
        certifications=[{"scheme": "TCO Certified", "level": "Generation 9", "expires_on": "2026-09-30"}],
    ),
    ("HP", "EliteBook 840 G10"): dict(
        declared_lifetime_months=48,
        repairability_score="7.0",
        certifications=[{"scheme": "EPEAT", "level": "Silver", "expires_on": "2025-12-31"}],
    ),
    ("Apple", "iPhone 15"): dict(declared_lifetime_months=36, repairability_score="6.5"),
    ("Samsung", "Galaxy Tab S9"): dict(
        repairability_score="6.9", certifications=[{"scheme": "EPEAT", "level": "Bronze", "expires_on": None}]
    ),
}
REFURBISHERS = ["Leapp Refurbished", "Recycle-IT Utrecht"]


async def _procurement(session: AsyncSession, settings: Settings) -> int:
    rows = (await session.execute(sa.select(DeviceModel))).scalars().all()
    done = 0
    for model in rows:
        attributes = PROCUREMENT.get((model.manufacturer, model.name))
        if attributes is None:
            continue
        body = DeviceModelUpdate.model_validate({"version": model.version, **attributes})
        await device_models.update_model(session, FINANCE, model.id, body, compensation_rules(settings))  # type: ignore[arg-type]
        done += 1
    return done


async def _second_life(session: AsyncSession) -> int:
    """Disposes of some valued devices: sold to a refurbisher, or donated in kind (its credit reversed)."""
    statement = sa.select(Device.id).where(Device.status == "valued").order_by(Device.id)
    valued = (await session.execute(statement)).scalars().all()
    done = 0
    for i, device_id in enumerate(valued[:5]):
        kind = "donated_in_kind" if i == 4 else "sold_to_refurbisher"
        try:
            async with session.begin_nested():
                await valuation.dispose(
                    session,
                    FINANCE,
                    device_id,
                    disposition=kind,
                    counterparty="Stichting Digitale Brug" if kind == "donated_in_kind" else REFURBISHERS[i % 2],
                    reference=f"DEMO-{device_id}",
                    realised_cents=None,
                )
            done += 1
        except DomainError:  # a credit already promised to a donation stays where it is
            continue
    return done


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), UTC)


async def _move_retirements(session: AsyncSession, today: date, rng: random.Random) -> int:
    """Spreads the retirements of replaced devices over the last three years; successors are bought then too."""
    successor = sa.orm.aliased(Device)
    rows = (
        await session.execute(
            sa.select(DeviceEvent, Device, successor)
            .join(Device, Device.id == DeviceEvent.device_id)
            .join(successor, successor.replaces_id == Device.id)
            .where(DeviceEvent.move == Move.retire.value)
            .order_by(DeviceEvent.id)
        )
    ).all()
    earliest = today - timedelta(days=HISTORY_MONTHS * 30)
    for event, device, new in rows:
        low = max(earliest, device.purchase_date + timedelta(days=rng.choice([430, 700, 900, 1150])))
        high = today - timedelta(days=12)
        if low >= high:
            continue
        retired_on = low + timedelta(days=rng.randint(0, (high - low).days))
        event.at = _at(retired_on)
        device.status_changed_at = event.at
        bought = retired_on + timedelta(days=rng.randint(0, 10))
        new.purchase_date = bought
        new.warranty_end = (
            bought.replace(year=bought.year + 3) if not (bought.month == 2 and bought.day == 29) else None
        )
        await session.execute(
            sa.update(CompensationObligation)
            .where(CompensationObligation.device_id == new.id)
            .values(purchase_date=bought)
        )
    return len(rows)


async def _move_money(session: AsyncSession, today: date) -> None:
    """Pool entries, donations and disposals spread evenly over the last 30 months, keeping their order."""
    entries = (await session.execute(sa.select(PoolEntry).order_by(PoolEntry.id))).scalars().all()
    start = _at(today - timedelta(days=30 * 30))
    span = _at(today - timedelta(days=5)) - start
    for i, entry in enumerate(entries):
        entry.at = start + span * (i + 1) / (len(entries) + 1)
    at_of = {e.id: e.at for e in entries}
    for donation in (await session.execute(sa.select(Donation))).scalars().all():
        if donation.debit_entry_id in at_of:
            approved = at_of[donation.debit_entry_id]
            shift = approved - (donation.approved_at or approved)
            for name in ("created_at", "submitted_at", "approved_at", "paid_at", "acknowledged_at", "updated_at"):
                value = getattr(donation, name)
                if value is not None:
                    setattr(donation, name, value + shift)
    disposals = (await session.execute(sa.select(Disposition).order_by(Disposition.id))).scalars().all()
    for i, disposal in enumerate(disposals):
        disposal.recorded_at = _at(today - timedelta(days=30 * (18 - 4 * i)))


async def seed_history(session: AsyncSession, settings: Settings, today: date) -> str:
    rng = random.Random(12)
    models = await _procurement(session, settings)
    disposed = await _second_life(session)
    moved = await _move_retirements(session, today, rng)
    await _move_money(session, today)
    await session.flush()
    return f"{moved} replacements over three years, {disposed} second-life disposals, {models} models with labels"
