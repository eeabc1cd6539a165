"""Fault reports, their diagnosis and the replacement policy's decision, overrules, and closing.

A fault closes when it is repaired (by hand, or when the repair it went out for comes back repaired) or when
its device leaves service; the device moves drive the latter through ``follow_device_move``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.db import utcnow
from service.device_models.models import DeviceModel
from service.devices.lifecycle import DeviceStatus, Move, is_in_service
from service.devices.models import Device, DeviceEvent
from service.devices.service import get_device
from service.editing import apply_changes, expect_version
from service.errors import Conflict, InvalidInput, NotFound
from service.faults import repairs
from service.faults.models import Fault
from service.faults.policy import Diagnosis, ReplacementPolicy, WorkingValue, decide, working_value
from service.faults.schemas import DiagnosisBody, FaultCreate
from service.i18n import gettext
from service.money import format_cents, parse_amount
from service.settings import Settings
from service.valuation.service import current_policy, ensure_saved


def replacement_policy(settings: Settings) -> ReplacementPolicy:
    return ReplacementPolicy(max_repair_share=settings.replacement_max_repair_share)


async def device_working_value(
    session: AsyncSession, device: Any, category: str, today: date, currency: str, *, actor: Actor | None = None
) -> WorkingValue:
    """The market value of ``device`` (a Device row or a devices.repository view) as a working unit under the
    current valuation policy. With an ``actor`` (a decision about to be stored) the defaults are saved first, so
    the version the decision names exists; without one (a page showing the figure) nothing is written."""
    if actor is None:
        version, valuation, _ = await current_policy(session)
    else:
        version, valuation = await ensure_saved(session, actor)
    return working_value(
        device.purchase_price_cents,
        device.purchase_date,
        today,
        category,
        device.condition_grade,
        valuation,
        version,
        currency,
    )


async def _category(session: AsyncSession, model_id: int) -> str:
    return (await session.execute(sa.select(DeviceModel.category).where(DeviceModel.id == model_id))).scalar_one()


async def get_fault(session: AsyncSession, fault_id: int, *, lock: bool = False) -> Fault:
    statement = select(Fault).where(Fault.id == fault_id)
    fault = (await session.exec(statement.with_for_update() if lock else statement)).first()
    if fault is None:
        raise NotFound(gettext("No fault has id {id}.").format(id=fault_id))
    return fault


def _expect_open(fault: Fault, version: int | None = None) -> None:
    """Refuses a change to a closed fault, or (``version`` given) to one someone else changed since it was read."""
    if fault.status != "open":
        raise Conflict(
            gettext("Fault {id} was closed ({resolution}); report a new fault instead.").format(
                id=fault.id, resolution=(fault.resolution or "").replace("_", " ")
            ),
            current_status=fault.status,
        )
    if version is not None:
        expect_version(fault, version, "fault")


async def report_fault(session: AsyncSession, actor: Actor, device_id: int, data: FaultCreate) -> Fault:
    # The device row lock orders a report against a retirement: either the retirement closes it or it is refused.
    device = await get_device(session, device_id, lock=True)
    if not is_in_service(DeviceStatus(device.status)):
        raise Conflict(
            gettext("Device {id} is {status}; faults are reported on devices in service.").format(
                id=device_id, status=device.status
            ),
            current_status=device.status,
        )
    fault = Fault(
        device_id=device_id,
        category=data.category,
        severity=data.severity,
        description=data.description,
        reported_by=actor.name,
    )
    session.add(fault)
    await session.flush()
    await audit.record(session, actor, "fault.create", "fault", fault.id, after=audit.snapshot(fault))
    return fault


async def diagnose(
    session: AsyncSession,
    actor: Actor,
    fault_id: int,
    data: DiagnosisBody,
    *,
    policy: ReplacementPolicy,
    today: date,
    currency: str,
    max_cost_cents: int,
) -> Fault:
    """Records (or replaces) the diagnosis and lets the policy decide; a new diagnosis also clears an overrule,
    because the facts it answered have changed."""
    fault = await get_fault(session, fault_id, lock=True)
    _expect_open(fault, data.version)
    cost = None if data.repair_cost is None else parse_amount(data.repair_cost)
    if data.repairable and cost is None:
        raise InvalidInput.field(
            "repair_cost", gettext("give the repairer's estimate (0.00 when it is under warranty)")
        )
    if cost is not None and cost > max_cost_cents:
        raise InvalidInput.field(
            "repair_cost",
            gettext("{amount} is above the plausible maximum of {maximum}").format(
                amount=data.repair_cost, maximum=format_cents(max_cost_cents)
            ),
        )
    device = await get_device(session, fault.device_id)
    category = await _category(session, device.model_id)
    value = await device_working_value(session, device, category, today, currency, actor=actor)
    decision = decide(Diagnosis(data.repairable, cost), value, policy, currency)
    before, after = apply_changes(
        fault,
        {
            "repairable": data.repairable,
            "repair_cost_cents": cost,
            "diagnosis_notes": data.notes,
            "diagnosed_by": actor.name,
            "diagnosed_at": utcnow(),
            "policy_decision": decision.outcome.value,
            "policy_reasons": list(decision.reasons),
            "policy_version": decision.policy_version,
            "policy_params": {**policy.parameters(), **value.params},
            "working_value_cents": decision.value_cents,
            "repair_limit_cents": decision.limit_cents,
            "decision": decision.outcome.value,
            "overrule_reason": "",
            "overruled_by": "",
            "overruled_at": None,
        },
    )
    await session.flush()
    await audit.record(session, actor, "fault.diagnose", "fault", fault.id, before=before, after=after)
    return fault


async def overrule(
    session: AsyncSession, actor: Actor, fault_id: int, decision: str, reason: str, version: int | None = None
) -> Fault:
    """Sets the decision in force against the policy's, with the reason; choosing the policy's decision again
    withdraws an earlier overrule. Both are audited with the reason."""
    fault = await get_fault(session, fault_id, lock=True)
    _expect_open(fault, version)
    if fault.policy_decision is None:
        raise Conflict(
            gettext("Fault {id} has no diagnosis yet; enter one and the policy decides first.").format(id=fault_id)
        )
    if decision == fault.decision:
        raise Conflict(
            gettext("The decision for fault {id} is already {decision}.").format(id=fault_id, decision=decision),
            decision=decision,
        )
    if decision == fault.policy_decision:
        changes = {"decision": decision, "overrule_reason": "", "overruled_by": "", "overruled_at": None}
    else:
        changes = {
            "decision": decision,
            "overrule_reason": reason,
            "overruled_by": actor.name,
            "overruled_at": utcnow(),
        }
    before, after = apply_changes(fault, changes)
    after["reason"] = reason
    await session.flush()
    await audit.record(session, actor, "fault.overrule", "fault", fault.id, before=before, after=after)
    return fault


async def close_fault(
    session: AsyncSession, actor: Actor, fault_id: int, resolution: str, note: str, version: int | None = None
) -> Fault:
    fault = await get_fault(session, fault_id, lock=True)
    _expect_open(fault, version)
    await _close(session, actor, fault, resolution, note)
    return fault


async def _close(
    session: AsyncSession, actor: Actor, fault: Fault, resolution: str, note: str, repair_id: int | None = None
) -> None:
    changes = {
        "status": "closed",
        "resolution": resolution,
        "close_note": note,
        "closed_by": actor.name,
        "closed_at": utcnow(),
        "repair_id": repair_id,
    }
    before, after = apply_changes(fault, changes)
    await session.flush()
    await audit.record(session, actor, "fault.close", "fault", fault.id, before=before, after=after)


async def _open_faults(session: AsyncSession, device_id: int, only: list[int] | None = None) -> list[Fault]:
    statement = select(Fault).where(Fault.device_id == device_id, Fault.status == "open")
    if only is not None:
        statement = statement.where(Fault.id.in_(only))  # type: ignore[union-attr]
    return list((await session.exec(statement.order_by(Fault.id).with_for_update())).all())  # type: ignore[arg-type]


_LEFT_SERVICE = {Move.retire.value: "device_retired", Move.report_lost.value: "device_lost"}


async def follow_device_move(session: AsyncSession, actor: Actor, device: Device, event: DeviceEvent) -> None:
    """Subscribed to every device move (service/bootstrap.wire_features), in the same transaction."""
    assert device.id is not None
    if event.move == Move.repair.value:
        await repairs.start_repair(session, actor, device.id, event)
    elif event.move == Move.return_from_repair.value:
        repair = await repairs.finish_repair(session, actor, device.id, event)
        if repair is not None and repair.outcome in ("repaired", "no_fault_found"):
            note = f"Back from {repair.supplier or 'the repairer'} (repair {repair.id})."
            for fault in await _open_faults(session, device.id, repair.fault_ids):
                await _close(session, actor, fault, repair.outcome, note, repair.id)
    elif event.move in _LEFT_SERVICE:
        resolution = _LEFT_SERVICE[event.move]
        await repairs.finish_repair(session, actor, device.id, event, outcome="not_repaired")
        note = f"The device was {event.to_status}" + (f": {event.reason}" if event.reason else ".")
        for fault in await _open_faults(session, device.id):
            await _close(session, actor, fault, resolution, note)
