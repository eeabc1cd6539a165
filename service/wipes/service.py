"""Storage media of a device and the "no storage media" attestation.

A new device starts with its model's usual media (``seed_media_from_model``, called on registration); helpdesk
adds, corrects and removes media until the device is wiped. A medium a certificate refers to is never removed,
and is no longer changed while that certificate is open or verified.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.device_models.models import DeviceModel
from service.devices.lifecycle import Move
from service.devices.models import Device
from service.editing import apply_changes, expect_version, patch_changes
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import gettext
from service.wipes.gate import lock_device
from service.wipes.models import NoMediaAttestation, StorageMedium, WipeCertificate
from service.wipes.policy import GATED_STATUSES, MEDIA_TYPES
from service.wipes.schemas import MediumCreate, MediumUpdate


async def seed_media_from_model(session: AsyncSession, actor: Actor, device: Device, model: DeviceModel) -> None:
    """Lists the model's usual media on a newly registered device (serials unknown until someone looks)."""
    count = model.storage_media_count
    if count <= 0:
        return
    media_type = model.storage_media_type if model.storage_media_type in MEDIA_TYPES else "other"
    assert device.id is not None
    media = [StorageMedium(device_id=device.id, media_type=media_type, source="model") for _ in range(count)]
    session.add_all(media)
    await session.flush()
    await audit.record(
        session,
        actor,
        "storage_media.seed",
        "device",
        device.id,
        after={"media": [{"id": m.id, "media_type": m.media_type} for m in media], "from_model_id": model.id},
    )


def _ensure_media_editable(device: Device) -> None:
    if device.status in GATED_STATUSES:
        raise Conflict(
            gettext(
                "Device {id} is {status}: its storage media are part of its wipe record and no longer change."
            ).format(id=device.id, status=device.status),
            current_status=device.status,
        )


async def _serial_free_on_device(session: AsyncSession, device_id: int, serial: str | None, except_id: int) -> None:
    if not serial:
        return
    stmt = select(StorageMedium.id).where(
        StorageMedium.device_id == device_id,
        sa.func.upper(StorageMedium.serial) == serial.upper(),
        StorageMedium.id != except_id,
    )
    taken = (await session.exec(stmt)).first()
    if taken is not None:
        raise Conflict(
            gettext("Medium #{taken} of this device already has serial {serial}.").format(taken=taken, serial=serial),
            errors=[{"field": "serial", "message": gettext("is already listed on this device")}],
        )


async def get_medium(session: AsyncSession, device_id: int, medium_id: int) -> StorageMedium:
    medium = await session.get(StorageMedium, medium_id)
    if medium is None or medium.device_id != device_id:
        raise NotFound(
            gettext("Device {device_id} has no storage medium {medium_id}.").format(
                device_id=device_id, medium_id=medium_id
            )
        )
    return medium


async def certificate_statuses(session: AsyncSession, medium_id: int) -> list[str]:
    rows = await session.execute(sa.select(WipeCertificate.status).where(WipeCertificate.medium_id == medium_id))
    return list(rows.scalars().all())


async def add_medium(
    session: AsyncSession, actor: Actor, device_id: int, data: MediumCreate, source: str = "manual"
) -> StorageMedium:
    device = await lock_device(session, device_id)
    _ensure_media_editable(device)
    await _serial_free_on_device(session, device_id, data.serial, except_id=0)
    medium = StorageMedium(device_id=device_id, source=source, **data.model_dump())
    session.add(medium)
    await session.flush()
    await audit.record(
        session, actor, "storage_medium.create", "storage_medium", medium.id, after=audit.snapshot(medium)
    )
    return medium


async def update_medium(
    session: AsyncSession, actor: Actor, device_id: int, medium_id: int, data: MediumUpdate
) -> StorageMedium:
    device = await lock_device(session, device_id)
    _ensure_media_editable(device)
    medium = await get_medium(session, device_id, medium_id)
    expect_version(medium, data.version, "storage medium")
    changes = patch_changes(data, StorageMedium)
    changes = {k: v for k, v in changes.items() if getattr(medium, k) != v}
    statuses = await certificate_statuses(session, medium_id)
    if any(s in ("recorded", "verified") for s in statuses) and changes:
        raise Conflict(
            gettext(
                "Medium #{medium_id} has a recorded or verified wipe certificate that describes it as it is; reject an "
                "open certificate first if the medium was listed wrongly."
            ).format(medium_id=medium_id)
        )
    await _serial_free_on_device(session, device_id, changes.get("serial"), except_id=medium_id)
    before, after = apply_changes(medium, changes)
    await session.flush()
    if after:
        await audit.record(
            session, actor, "storage_medium.update", "storage_medium", medium_id, before=before, after=after
        )
    return medium


async def remove_medium(
    session: AsyncSession, actor: Actor, device_id: int, medium_id: int, *, version: int, reason: str
) -> None:
    if len(reason.strip()) < 3:
        raise InvalidInput.field("reason", gettext("say in a few words why the medium is not in this device"))
    device = await lock_device(session, device_id)
    _ensure_media_editable(device)
    medium = await get_medium(session, device_id, medium_id)
    expect_version(medium, version, "storage medium")
    if await certificate_statuses(session, medium_id):
        raise Conflict(
            gettext(
                "Medium #{medium_id} has wipe certificates; a medium that is part of the wipe record stays listed. "
                "Record a certificate for it (a removed and shredded disk gets a destroy certificate)."
            ).format(medium_id=medium_id)
        )
    before = audit.snapshot(medium)
    await session.delete(medium)
    await session.flush()
    await audit.record(
        session,
        actor,
        "storage_medium.delete",
        "storage_medium",
        medium_id,
        before=before,
        after={"reason": reason.strip()},
    )


async def attest_no_media(
    session: AsyncSession, actor: Actor, device_id: int, statement: str, expected_version: int | None = None
) -> tuple[NoMediaAttestation, Device]:
    """A device without storage media (a monitor) passes the gate on a helpdesk user's recorded statement."""
    from service.devices.service import move_device

    device = await lock_device(session, device_id)
    if expected_version is not None:
        expect_version(device, expected_version, "device")
    if device.status != "retired":
        raise Conflict(
            gettext(
                "Device {device_id} is {status}; a no-storage-media attestation is recorded for a retired device."
            ).format(device_id=device_id, status=device.status),
            current_status=device.status,
        )
    listed = (await session.exec(select(sa.func.count()).where(StorageMedium.device_id == device_id))).one()
    if listed:
        raise Conflict(
            gettext(
                "Device {device_id} has {listed} storage medium(s) listed; certify them, or remove any that is not "
                "really there (with a reason) before attesting that it has none."
            ).format(device_id=device_id, listed=listed)
        )
    model = await session.get(DeviceModel, device.model_id)
    if model is not None and model.storage_media_count > 0:
        raise Conflict(
            gettext(
                "A {manufacturer} {name} usually carries {storage_media_count} storage medium(s): list "
                "and certify them (a removed and shredded disk gets a destroy certificate), or correct the model first."
            ).format(manufacturer=model.manufacturer, name=model.name, storage_media_count=model.storage_media_count)
        )
    attestation = NoMediaAttestation(
        device_id=device_id, statement=statement.strip(), attested_by=actor.name, attested_by_user_id=actor.user_id
    )
    session.add(attestation)
    await session.flush()
    await audit.record(
        session, actor, "no_media_attestation.create", "device", device_id, after=audit.snapshot(attestation)
    )
    device = await move_device(
        session,
        actor,
        device_id,
        Move.wipe,
        reason="Attested: the device holds no storage media",
        details={"attestation_id": attestation.id},
    )
    return attestation, device
