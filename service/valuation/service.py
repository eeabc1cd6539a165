"""Estimating, overriding and accepting residual values; disposing of valued devices."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.db import utcnow
from service.device_models.models import DeviceModel
from service.devices.lifecycle import Move
from service.devices.models import Device
from service.devices.service import move_device
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import gettext
from service.money import format_cents
from service.pool import service as pool
from service.pool.ledger import EntryKind
from service.valuation.estimator import DeviceFacts, estimate
from service.valuation.models import Disposition, Valuation, ValuationPolicyVersion
from service.valuation.policy import ValuationPolicy, default_policy, policy_from_json
from service.valuation.repository import faults_for_valuation

AUTO_ACCEPT_ACTOR = Actor.system("valuation-policy")


async def current_policy(session: AsyncSession) -> tuple[int, ValuationPolicy, bool]:
    """(version, policy, saved). Before an admin or the first estimate saves one, the defaults are version 1."""
    row = (
        await session.exec(
            select(ValuationPolicyVersion).order_by(ValuationPolicyVersion.version.desc()).limit(1)  # type: ignore[attr-defined]
        )
    ).first()
    if row is None:
        return 1, default_policy(), False
    return row.version, policy_from_json(row.data), True


class PolicyVersionTaken(Conflict):
    """Someone else saved the same version number first (the version column is unique)."""


async def save_policy(session: AsyncSession, actor: Actor, policy: ValuationPolicy, note: str) -> int:
    version, current, saved = await current_policy(session)
    if saved and current == policy:
        raise Conflict(gettext("This is the current policy already; nothing changed."))
    new_version = version + 1 if saved else 1
    row = ValuationPolicyVersion(
        version=new_version, data=policy.model_dump(mode="json"), note=note, created_by=actor.name
    )
    try:
        # A savepoint, so the caller's transaction survives losing the race (ensure_saved carries on).
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise PolicyVersionTaken(
            gettext(
                "Valuation policy version {new_version} was saved by someone else a moment ago; reload the policy "
                "and make your change again."
            ).format(new_version=new_version)
        ) from None
    await audit.record(
        session,
        actor,
        "valuation_policy.create",
        "valuation_policy",
        new_version,
        after={"version": new_version, "note": note, "data": row.data},
    )
    return new_version


async def ensure_saved(session: AsyncSession, actor: Actor) -> tuple[int, ValuationPolicy]:
    """The current policy, saving the defaults as version 1 first if nobody has: a figure that names a policy
    version must name a stored one (an unsaved v1 would be renumbered by the first admin edit)."""
    version, policy, saved = await current_policy(session)
    if not saved:
        try:
            version = await save_policy(session, actor, policy, "Defaults (reference/valuation.md)")
        except PolicyVersionTaken:  # a concurrent first estimate (or an admin) saved it: use theirs
            version, policy, saved = await current_policy(session)
            if not saved:  # the unique version was not what failed
                raise
    return version, policy


async def _device(session: AsyncSession, device_id: int, *, lock: bool = False) -> Device:
    stmt = select(Device).where(Device.id == device_id)
    device = (await session.exec(stmt.with_for_update() if lock else stmt)).first()
    if device is None:
        raise NotFound(gettext("No device has id {device_id}.").format(device_id=device_id))
    return device


async def device_facts(session: AsyncSession, device: Device, *, locked: bool) -> DeviceFacts:
    category = (
        await session.execute(sa.select(DeviceModel.category).where(DeviceModel.id == device.model_id))
    ).scalar_one()
    return DeviceFacts(
        category=category,
        purchase_price_cents=device.purchase_price_cents,
        purchase_date=device.purchase_date,
        condition_grade=device.condition_grade,
        locked=locked,
        faults=tuple(await faults_for_valuation(session, device.id)),
    )  # type: ignore[arg-type]


async def estimate_device(
    session: AsyncSession,
    actor: Actor,
    device_id: int,
    today: date,
    *,
    locked: bool = False,
    method: str | None = None,
) -> Valuation:
    device = await _device(session, device_id, lock=True)
    if device.status == "wiped":
        await pool.lock(session)  # an auto-accept may credit: take the locks in the usual order first
    version, policy = await ensure_saved(session, actor)
    result = estimate(await device_facts(session, device, locked=locked), policy, version, today, method)
    valuation = Valuation(
        device_id=device_id,
        policy_version=version,
        method=result.method,
        inputs=result.inputs,
        lines=[{"label": line.label, "value": line.value, "note": line.note} for line in result.lines],
        estimated_cents=result.value_cents,
        requested_by=actor.name,
    )
    session.add(valuation)
    await session.flush()
    await audit.record(
        session,
        actor,
        "valuation.estimate",
        "valuation",
        valuation.id,
        after={
            "device_id": device_id,
            "estimated_cents": result.value_cents,
            "method": result.method,
            "policy_version": version,
        },
    )
    threshold = policy.auto_accept_below_cents
    if device.status == "wiped" and threshold and result.value_cents <= threshold:
        assert valuation.id is not None
        valuation = await accept(session, AUTO_ACCEPT_ACTOR, valuation.id)
    return valuation


async def _locked_valuation(session: AsyncSession, valuation_id: int) -> Valuation:
    """Locks in the one order every money path uses: the device row, the pool, then the valuation."""
    device_id = (
        await session.execute(sa.select(Valuation.device_id).where(Valuation.id == valuation_id))
    ).scalar_one_or_none()
    if device_id is None:
        raise NotFound(gettext("No valuation has id {valuation_id}.").format(valuation_id=valuation_id))
    await _device(session, device_id, lock=True)
    await pool.lock(session)
    stmt = (
        select(Valuation)
        .where(Valuation.id == valuation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).one()


async def accept(session: AsyncSession, actor: Actor, valuation_id: int) -> Valuation:
    """wiped -> valued, and the accepted amount is credited to the pool (once per device)."""
    valuation = await _locked_valuation(session, valuation_id)
    if valuation.status != "estimate":
        raise Conflict(
            gettext("Valuation {valuation_id} is {status}; only an open estimate can be accepted.").format(
                valuation_id=valuation_id, status=valuation.status
            )
        )
    amount = valuation.amount_cents
    # The move enforces wiped -> valued, and with it the wipe gate.
    await move_device(
        session, actor, valuation.device_id, Move.value, details={"valuation_id": valuation_id, "amount_cents": amount}
    )
    if amount > 0:
        category = (await device_facts(session, await _device(session, valuation.device_id), locked=False)).category
        await pool.append(
            session,
            actor,
            EntryKind.credit,
            amount,
            device_id=valuation.device_id,
            valuation_id=valuation_id,
            category=category,
            reason=f"Valuation {valuation_id} accepted ({valuation.method}, policy v{valuation.policy_version})",
        )
    valuation.status, valuation.accepted_by, valuation.accepted_at = "accepted", actor.name, utcnow()
    await session.execute(
        sa.update(Valuation)
        .where(Valuation.device_id == valuation.device_id, Valuation.id != valuation_id, Valuation.status == "estimate")
        .values(status="superseded")
    )
    await session.flush()
    await audit.record(
        session,
        actor,
        "valuation.accept",
        "valuation",
        valuation_id,
        before={"status": "estimate"},
        after={"status": "accepted", "amount_cents": amount},
    )
    return valuation


async def override(session: AsyncSession, actor: Actor, valuation_id: int, amount_cents: int, reason: str) -> Valuation:
    """Finance sets the amount with a reason; the estimate stays visible. After the credit, the difference
    is written as an adjustment entry."""
    if len(reason.strip()) < 3:
        raise InvalidInput.field("reason", gettext("explain the override in a few words"))
    valuation = await _locked_valuation(session, valuation_id)
    if valuation.status == "superseded":
        raise Conflict(
            gettext("Valuation {valuation_id} was superseded by a newer one; override that instead.").format(
                valuation_id=valuation_id
            )
        )
    before = {"override_cents": valuation.override_cents, "override_reason": valuation.override_reason}
    if valuation.status == "accepted":
        await pool.ensure_not_allocated(session, valuation.device_id)
        held = await pool.device_net_cents(session, valuation.device_id) or 0
        difference = amount_cents - held
        if difference:
            category = (await device_facts(session, await _device(session, valuation.device_id), locked=False)).category
            if held == 0 and amount_cents > 0:
                await pool.append(
                    session,
                    actor,
                    EntryKind.credit,
                    amount_cents,
                    device_id=valuation.device_id,
                    valuation_id=valuation_id,
                    category=category,
                    reason=f"Override of valuation {valuation_id}: {reason.strip()}",
                )
            else:
                await pool.append(
                    session,
                    actor,
                    EntryKind.adjustment,
                    difference,
                    device_id=valuation.device_id,
                    valuation_id=valuation_id,
                    category=category,
                    reason=f"Override of valuation {valuation_id}: {reason.strip()}",
                )
    valuation.override_cents, valuation.override_reason = amount_cents, reason.strip()
    valuation.override_by, valuation.override_at = actor.name, utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "valuation.override",
        "valuation",
        valuation_id,
        before=before,
        after={
            "override_cents": amount_cents,
            "override_reason": reason.strip(),
            "estimated_cents": valuation.estimated_cents,
        },
    )
    return valuation


async def list_valuations(session: AsyncSession, device_id: int) -> list[Valuation]:
    await _device(session, device_id)
    stmt = select(Valuation).where(Valuation.device_id == device_id).order_by(Valuation.id)  # type: ignore[arg-type]
    return list((await session.exec(stmt)).all())


async def get_valuation(session: AsyncSession, valuation_id: int) -> Valuation:
    valuation = await session.get(Valuation, valuation_id)
    if valuation is None:
        raise NotFound(gettext("No valuation has id {valuation_id}.").format(valuation_id=valuation_id))
    return valuation


async def dispose(
    session: AsyncSession,
    actor: Actor,
    device_id: int,
    *,
    disposition: str,
    counterparty: str,
    reference: str,
    realised_cents: int | None,
) -> Disposition:
    """valued -> disposed. A device donated in kind takes its value with it (credit reversed); a sale that
    realised a different amount adjusts the pool when the policy says the realised amount counts."""
    if realised_cents is not None and disposition != "sold_to_refurbisher":
        raise InvalidInput.field("realised_amount", gettext("only a sale realises an amount"))
    await _device(session, device_id, lock=True)
    await pool.lock(session)
    await move_device(
        session,
        actor,
        device_id,
        Move.dispose,
        reason=f"{disposition} to {counterparty}",
        details={"disposition": disposition, "counterparty": counterparty, "reference": reference},
    )
    record = Disposition(
        device_id=device_id,
        disposition=disposition,
        counterparty=counterparty,
        reference=reference,
        realised_cents=realised_cents,
        recorded_by=actor.name,
    )
    session.add(record)
    await session.flush()
    held = await pool.device_net_cents(session, device_id)
    category = (await device_facts(session, await _device(session, device_id), locked=False)).category
    if held:
        if disposition == "donated_in_kind":
            await pool.ensure_not_allocated(session, device_id)
            await pool.append(
                session,
                actor,
                EntryKind.reversal,
                -held,
                device_id=device_id,
                category=category,
                reason=f"Donated in kind to {counterparty}: its value left with the device",
            )
        elif realised_cents is not None and realised_cents != held:
            _, policy, _ = await current_policy(session)
            if policy.realised_amount_counts:
                await pool.ensure_not_allocated(session, device_id)
                await pool.append(
                    session,
                    actor,
                    EntryKind.adjustment,
                    realised_cents - held,
                    device_id=device_id,
                    category=category,
                    reason=f"Sold to {counterparty} for {format_cents(realised_cents)}, credited {format_cents(held)}",
                )
    await audit.record(session, actor, "device.disposition", "device", device_id, after=audit.snapshot(record))
    return record
