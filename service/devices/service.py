"""Registering devices and moving them through their life (the table is in lifecycle.py)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.companies import service as companies
from service.companies.scope import scoped
from service.compensation.rules import CompensationRules
from service.compensation.service import create_obligations, settle_obligations
from service.context import Actor
from service.custom_fields import service as custom_fields
from service.db import utcnow
from service.device_models.models import DeviceModel
from service.devices import hooks
from service.devices.lifecycle import RELEASES_HOLDER, DeviceStatus, IllegalMove, Move, allowed_moves, next_status
from service.devices.models import Device, DeviceEvent
from service.devices.schemas import DeviceCreate, DeviceUpdate
from service.editing import apply_changes, expect_version, patch_changes
from service.employees.models import Employee
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import _
from service.money import format_cents, parse_amount

# A successor may only replace a device that has left service.
_REPLACEABLE = frozenset({"retired", "wiped", "valued", "disposed", "lost"})


@dataclass(frozen=True)
class RegistryRules:
    """What counts as plausible input; built from settings by the caller."""

    max_purchase_price_cents: int
    today: date
    # Which new devices owe a one-for-one e-waste compensation (service/compensation).
    compensation: CompensationRules = dataclass_field(default_factory=CompensationRules)


class FieldErrors:
    """Collects every problem with a request so the person fixes them in one go."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
            raise InvalidInput(detail, errors=self.errors)


def _check_price(errors: FieldErrors, field: str, text: str | None, rules: RegistryRules) -> int | None:
    if text is None:
        return None
    cents = parse_amount(text)
    if cents > rules.max_purchase_price_cents:
        errors.add(
            field,
            _("{amount} is above the plausible maximum of {maximum}").format(
                amount=text, maximum=format_cents(rules.max_purchase_price_cents)
            ),
        )
    return cents


def _check_dates(errors: FieldErrors, purchase: date | None, warranty_end: date | None, rules: RegistryRules) -> None:
    if purchase is not None and purchase > rules.today:
        errors.add("purchase_date", _("{day} is in the future").format(day=purchase.isoformat()))
    if purchase is not None and purchase.year < 1990:
        errors.add("purchase_date", _("{day} is before 1990").format(day=purchase.isoformat()))
    if purchase is not None and warranty_end is not None and warranty_end < purchase:
        errors.add("warranty_end", _("is before the purchase date"))


async def _ensure_identity_free(
    session: AsyncSession, asset_tag: str | None, manufacturer: str, serial: str | None, except_id: int | None = None
) -> None:
    # Asset tags and serial numbers are unique across every company, seen or not.
    with scoped(None):
        await _ensure_identity_free_everywhere(session, asset_tag, manufacturer, serial, except_id)


async def _ensure_identity_free_everywhere(
    session: AsyncSession, asset_tag: str | None, manufacturer: str, serial: str | None, except_id: int | None
) -> None:
    if asset_tag:
        stmt = select(Device.id).where(Device.asset_tag == asset_tag)
        if except_id:
            stmt = stmt.where(Device.id != except_id)
        if (await session.exec(stmt)).first() is not None:
            raise Conflict(
                _("Asset tag {tag} is already in use.").format(tag=asset_tag),
                errors=[{"field": "asset_tag", "message": _("is already used by another device")}],
            )
    if serial:
        stmt = select(Device.id).where(Device.manufacturer == manufacturer, Device.serial_number == serial)
        if except_id:
            stmt = stmt.where(Device.id != except_id)
        if (await session.exec(stmt)).first() is not None:
            raise Conflict(
                _("A {manufacturer} device with serial number {serial} is already registered.").format(
                    manufacturer=manufacturer, serial=serial
                ),
                errors=[{"field": "serial_number", "message": _("is already registered for this manufacturer")}],
            )


async def _active_employee(session: AsyncSession, employee_id: int, field: str, company_id: int) -> Employee:
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise InvalidInput.field(field, _("no employee has id {id}").format(id=employee_id))
    if not employee.active:
        raise InvalidInput.field(field, _("{name} is no longer active").format(name=employee.name))
    if employee.company_id != company_id:
        raise InvalidInput.field(
            field, _("{name} works for another company than the device's").format(name=employee.name)
        )
    return employee


async def register_device(session: AsyncSession, actor: Actor, data: DeviceCreate, rules: RegistryRules) -> Device:
    errors = FieldErrors()
    price = _check_price(errors, "purchase_price", data.purchase_price, rules)
    _check_dates(errors, data.purchase_date, data.warranty_end, rules)
    if not data.asset_tag and not data.serial_number:
        errors.add("asset_tag", _("give an asset tag or a serial number (or both)"))
    model = await session.get(DeviceModel, data.model_id)
    if model is None:
        errors.add("model_id", _("no device model has id {id}").format(id=data.model_id))
    errors.raise_if_any()
    assert model is not None and price is not None
    company_id = data.company_id
    if company_id is None and data.replaces_id is not None and (old := await session.get(Device, data.replaces_id)):
        company_id = old.company_id  # a replacement belongs where the device it replaces did
    company_id = await companies.company_for_new(session, company_id)
    holder_id = data.holder_id
    if holder_id is not None:
        await _active_employee(session, holder_id, "holder_id", company_id)
    if data.replaces_id is not None:
        await _check_replaceable(session, data.replaces_id)
        if holder_id is None:
            holder_id = await last_active_holder(session, data.replaces_id)
    await _ensure_identity_free(session, data.asset_tag, model.manufacturer, data.serial_number)

    fields = data.model_dump(exclude={"purchase_price", "holder_id", "custom_fields", "company_id"})
    device = Device(
        **fields,
        company_id=company_id,
        manufacturer=model.manufacturer,
        purchase_price_cents=price,
        status=DeviceStatus.in_stock,
    )
    session.add(device)
    await session.flush()
    assert device.id is not None
    _stored, custom = await custom_fields.set_values(
        session, device.id, model.category, data.custom_fields, creating=True
    )
    session.add(
        DeviceEvent(
            device_id=device.id,
            move=Move.register,
            to_status=DeviceStatus.in_stock,
            actor=actor.name,
            details={"replaces_id": data.replaces_id} if data.replaces_id else {},
        )
    )
    created = {**audit.snapshot(device), **({"custom_fields": custom} if custom else {})}
    await audit.record(session, actor, "device.create", "device", device.id, after=created)
    await create_obligations(session, actor, rules.compensation, [device.id])
    # A new device starts with its model's usual storage media (service/wipes subscribes, see hooks.py).
    await hooks.registered(session, actor, device, model)
    if holder_id is not None:
        device = await move_device(session, actor, device.id, Move.assign, holder_id=holder_id)
    return device


async def last_active_holder(session: AsyncSession, device_id: int) -> int | None:
    """Who held the device when it left service (its retire or loss event), if that person is still active:
    a successor goes to the same person."""
    holder_id = (
        await session.execute(
            sa.select(DeviceEvent.holder_id)
            .where(DeviceEvent.device_id == device_id, DeviceEvent.move.in_((Move.retire, Move.report_lost)))  # type: ignore[attr-defined]
            .order_by(DeviceEvent.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
    ).scalar_one_or_none()
    if holder_id is None:
        return None
    employee = await session.get(Employee, holder_id)
    return holder_id if employee is not None and employee.active else None


async def _check_replaceable(session: AsyncSession, replaces_id: int) -> None:
    predecessor = await session.get(Device, replaces_id)
    if predecessor is None:
        raise InvalidInput.field("replaces_id", _("no device has id {id}").format(id=replaces_id))
    if predecessor.status not in _REPLACEABLE:
        raise Conflict(
            _("Device {id} is {status}; only a device that has left service can be replaced.").format(
                id=replaces_id, status=predecessor.status
            ),
            errors=[{"field": "replaces_id", "message": _("is still in service")}],
        )
    taken = (await session.exec(select(Device.id).where(Device.replaces_id == replaces_id))).first()
    if taken is not None:
        raise Conflict(
            _("Device {id} was already replaced by device {successor}.").format(id=replaces_id, successor=taken),
            errors=[{"field": "replaces_id", "message": _("already has a successor")}],
        )


async def update_device(
    session: AsyncSession, actor: Actor, device_id: int, data: DeviceUpdate, rules: RegistryRules
) -> Device:
    device = await get_device(session, device_id, lock=True)
    expect_version(device, data.version, "device")
    changes = patch_changes(data, Device, derived=frozenset({"purchase_price"}))
    custom_given = changes.pop("custom_fields", None)
    errors = FieldErrors()
    if data.purchase_price is not None:
        changes["purchase_price_cents"] = _check_price(errors, "purchase_price", data.purchase_price, rules)
    _check_dates(
        errors,
        changes.get("purchase_date", device.purchase_date),
        changes.get("warranty_end", device.warranty_end),
        rules,
    )
    manufacturer = device.manufacturer
    if changes.get("model_id") and changes["model_id"] != device.model_id:
        model = await session.get(DeviceModel, changes["model_id"])
        if model is None:
            errors.add("model_id", _("no device model has id {id}").format(id=changes["model_id"]))
        else:
            manufacturer = changes["manufacturer"] = model.manufacturer
    asset_tag = changes.get("asset_tag", device.asset_tag)
    serial = changes.get("serial_number", device.serial_number)
    if not asset_tag and not serial:
        errors.add("asset_tag", _("a device keeps an asset tag or a serial number"))
    errors.raise_if_any()
    await _ensure_identity_free(session, asset_tag, manufacturer, serial, except_id=device_id)
    before, after = apply_changes(device, changes)
    await session.flush()
    if custom_given:
        category = (await session.get(DeviceModel, device.model_id)).category  # type: ignore[union-attr]
        custom_before, custom_after = await custom_fields.set_values(
            session, device.id, category, custom_given, creating=False
        )
        if custom_after:
            before["custom_fields"], after["custom_fields"] = custom_before, custom_after
            if "version" not in after:
                before["version"], after["version"] = device.version, device.version + 1
                device.version += 1
                device.updated_at = utcnow()
                await session.flush()
    settled = {}
    if "purchase_date" in after or "model_id" in after:
        # Before any audit record: settling locks obligations first, as the compensation job does.
        settled = await settle_obligations(session, rules.compensation, [device.id])
    if after:
        await audit.record(session, actor, "device.update", "device", device.id, before=before, after=after)
    if settled:
        await audit.record(session, actor, "compensation_obligation.settle", "device", device.id, after=settled)
    return device


async def get_device(session: AsyncSession, device_id: int, *, lock: bool = False) -> Device:
    """The device, or 404. ``lock``: FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises
    writers."""
    stmt = select(Device).where(Device.id == device_id)
    device = (await session.exec(stmt.with_for_update() if lock else stmt)).first()
    if device is None:
        raise NotFound(_("No device has id {id}.").format(id=device_id))
    return device


async def move_device(
    session: AsyncSession,
    actor: Actor,
    device_id: int,
    move: Move,
    *,
    holder_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Device:
    """The one way a device changes state: checks the table, writes the event and the audit record."""
    device = await get_device(session, device_id, lock=True)
    if expected_version is not None:
        expect_version(device, expected_version, "device")
    current = DeviceStatus(device.status)
    try:
        target = next_status(current, move, has_holder=device.holder_id is not None)
    except IllegalMove as exc:
        raise Conflict(str(exc), current_status=current.value, allowed=[m.value for m in exc.allowed]) from None
    # The wipe gate (service/wipes/gate.py subscribes): no move past retired until every listed medium is certified.
    await hooks.before_move(session, device_id, target)
    if move is Move.assign:
        if holder_id is None:
            raise InvalidInput.field("employee_id", _("is required"))
        await _active_employee(session, holder_id, "employee_id", device.company_id)
    before = {"status": device.status, "holder_id": device.holder_id, "version": device.version}
    event_holder = device.holder_id
    if move is Move.assign:
        device.holder_id = event_holder = holder_id
    elif move in RELEASES_HOLDER:
        device.holder_id = None
    now = utcnow()
    device.status, device.status_changed_at, device.updated_at = target.value, now, now
    device.version += 1
    event = DeviceEvent(
        device_id=device_id,
        move=move.value,
        from_status=current.value,
        to_status=target.value,
        holder_id=event_holder,
        actor=actor.name,
        reason=reason,
        details=details or {},
        at=now,
    )
    session.add(event)
    after = {"status": device.status, "holder_id": device.holder_id, "version": device.version}
    if reason:
        after["reason"] = reason
    if details:
        after.update(details)
    await session.flush()
    await audit.record(session, actor, f"device.{move.value}", "device", device_id, before=before, after=after)
    # Repairs and faults follow the device's moves (a return closes repaired faults, a retirement the rest),
    # whichever route moved it (service/faults subscribes, see hooks.py).
    await hooks.moved(session, actor, device, event)
    return device


def allowed_moves_for(status: str) -> list[str]:
    return [m.value for m in allowed_moves(DeviceStatus(status))]


async def successor_of(session: AsyncSession, device_id: int) -> int | None:
    return (await session.execute(sa.select(Device.id).where(Device.replaces_id == device_id))).scalar_one_or_none()
