"""The demo's faults, repairs and replacements (demo mode only).

Uses the public service functions in the order real users would: report, diagnose (the policy decides),
sometimes overrule, send to repair and back, retire, register the successor.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.devices.lifecycle import Move
from service.devices.models import Device
from service.devices.schemas import DeviceCreate
from service.devices.service import RegistryRules, move_device, register_device
from service.faults import service
from service.faults.schemas import DiagnosisBody, FaultCreate
from service.settings import Settings

HELPDESK = Actor(name="helpdesk")
# (category, description, severity, repairable, cost in cents)
TROUBLES = [
    ("battery", "Battery lasts under an hour and swells a little", "medium", True, 8900),
    ("screen", "Backlight flickers, lines across the panel", "high", True, 21000),
    ("keyboard", "Several keys do not register", "medium", True, 6500),
    ("storage", "SMART warnings, the disk reallocates sectors", "high", True, 9900),
    ("mainboard", "Does not power on after a firmware update", "high", False, None),
    ("liquid_damage", "Coffee spilled over the keyboard", "high", False, None),
    ("other", "Hinge cracked, lid hangs loose", "low", True, 4500),
]
# What usually goes to the repairer and comes back: repairs that are cheap next to a working unit's market value.
# A new screen costs about a sixth of a new laptop, more than half its market value after about 2.5 years.
ROUTINE = [t for t in TROUBLES if t[0] in ("battery", "keyboard", "storage", "other")]
OVERRULES = {
    "replace": ("repair", "A spare part from a retired unit is in stock; the holder leaves in two months"),
    "repair": ("replace", "Third fault of this unit within a year; the holder keeps losing working days"),
}
REPAIRERS = ["Repair Café Zakelijk", "Fixers Utrecht", "iRepair Eindhoven"]


async def _devices(session: AsyncSession, status: str) -> list[Device]:
    statement = select(Device).where(Device.status == status).order_by(Device.id)  # type: ignore[arg-type]
    return list((await session.exec(statement)).all())


async def _report_and_diagnose(
    session: AsyncSession, device_id: int, trouble: tuple[Any, ...], settings: Settings, rules: RegistryRules
) -> Any:
    category, description, severity, repairable, cost = trouble
    fault = await service.report_fault(
        session, HELPDESK, device_id, FaultCreate(category=category, description=description, severity=severity)
    )
    assert fault.id is not None
    body = DiagnosisBody(
        repairable=repairable, repair_cost=None if cost is None else f"{cost // 100}.{cost % 100:02d}", notes=""
    )
    return await service.diagnose(
        session,
        HELPDESK,
        fault.id,
        body,
        policy=service.replacement_policy(settings),
        today=rules.today,
        currency=settings.currency,
        max_cost_cents=rules.max_purchase_price_cents,
    )


async def seed_faults(session: AsyncSession, settings: Settings, rules: RegistryRules, rng: random.Random) -> str:
    in_use = await _devices(session, "in_use")
    rng.shuffle(in_use)
    picks = iter(in_use)
    repaired = open_faults = replaced = 0

    # Repaired earlier: fault, diagnosis, a trip to the repairer, back repaired.
    for _ in range(12):
        device = next(picks)
        assert device.id is not None
        fault = await _report_and_diagnose(session, device.id, rng.choice(ROUTINE), settings, rules)
        if fault.decision != "repair":
            open_faults += 1  # worth too little to repair: the fault stays open, waiting for its replacement
            continue
        cost = fault.repair_cost_cents or 0
        supplier = rng.choice(REPAIRERS)
        details = {"supplier": supplier, "expected_cost_cents": cost, "fault_ids": [fault.id]}
        await move_device(session, HELPDESK, device.id, Move.repair, details=details)
        back = {"cost_cents": cost + rng.choice([-500, 0, 0, 1200]), "outcome": "repaired"}
        await move_device(session, HELPDESK, device.id, Move.return_from_repair, reason="Fixed", details=back)
        repaired += 1

    # Open now: some waiting for a diagnosis, some decided, one overruled with a reason.
    for i in range(10):
        device = next(picks)
        assert device.id is not None
        trouble = rng.choice(TROUBLES)
        if i < 4:
            category, description, severity, *_ = trouble
            await service.report_fault(
                session, HELPDESK, device.id, FaultCreate(category=category, description=description, severity=severity)
            )
        else:
            fault = await _report_and_diagnose(session, device.id, trouble, settings, rules)
            if i == 9:
                reason = OVERRULES[fault.decision]
                await service.overrule(session, HELPDESK, fault.id, reason[0], reason[1])
        open_faults += 1

    # Replaced through the policy: unrepairable, retired, successor to the same holder.
    for _ in range(4):
        device = next(picks)
        assert device.id is not None
        fault = await _report_and_diagnose(session, device.id, rng.choice(TROUBLES[4:6]), settings, rules)
        await move_device(session, HELPDESK, device.id, Move.retire, reason=f"Replaced after fault #{fault.id}")
        replaced += await _successor(session, device, rules, rng)

    # And half of the devices retired earlier got their successor too.
    for device in (await _devices(session, "retired"))[::2]:
        replaced += await _successor(session, device, rules, rng)
    return f"{repaired} repairs, {open_faults} open faults, {replaced} replacements"


async def _successor(session: AsyncSession, device: Device, rules: RegistryRules, rng: random.Random) -> int:
    if (await session.exec(select(Device.id).where(Device.replaces_id == device.id))).first() is not None:
        return 0
    bought = rules.today - timedelta(days=rng.randint(0, 20))
    price = int(device.purchase_price_cents * rng.uniform(0.95, 1.08))
    await register_device(
        session,
        HELPDESK,
        DeviceCreate(
            asset_tag=f"KL-R{device.id:05d}",
            serial_number=f"{device.manufacturer[:2].upper()}R{rng.randrange(10**8):08d}",
            model_id=device.model_id,
            purchase_date=bought,
            purchase_price=f"{price // 100}.{price % 100:02d}",
            supplier=device.supplier,
            replaces_id=device.id,
        ),
        rules,
    )
    return 1
