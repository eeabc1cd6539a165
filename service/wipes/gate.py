"""The wipe gate as the service sees it: which listed media still lack acceptable evidence.

``move_device`` asks ``gate_move`` (subscribed in service/bootstrap.py) before every move, and it refuses a move into
wiped, valued or disposed that the gate does not pass; the database triggers of migration 0004 refuse the same
thing should anything else try.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.devices.lifecycle import DeviceStatus
from service.devices.models import Device
from service.errors import Conflict, NotFound
from service.i18n import _
from service.wipes.models import NoMediaAttestation, StorageMedium, WipeCertificate
from service.wipes.policy import CURRENT_POLICY, GATED_STATUSES, MediumEvidence, WipePolicy, gate_blockers


async def lock_device(session: AsyncSession, device_id: int) -> Device:
    """The device row, locked: every change to a device's media or certificates is serialised on it."""
    stmt = select(Device).where(Device.id == device_id).with_for_update().execution_options(populate_existing=True)
    device = (await session.exec(stmt)).first()
    if device is None:
        raise NotFound(_("No device has id {id}.").format(id=device_id))
    return device


async def media_evidence(session: AsyncSession, device_id: int) -> tuple[list[MediumEvidence], bool]:
    media = (
        await session.execute(
            sa.select(StorageMedium.id, StorageMedium.media_type, StorageMedium.serial)
            .where(StorageMedium.device_id == device_id)
            .order_by(StorageMedium.id)
        )
    ).all()
    verified: dict[int, list[str]] = {}
    rows = await session.execute(
        sa.select(WipeCertificate.medium_id, WipeCertificate.method).where(
            WipeCertificate.device_id == device_id, WipeCertificate.status == "verified"
        )
    )
    for medium_id, method in rows.all():
        verified.setdefault(medium_id, []).append(method)
    attested = (
        await session.execute(sa.select(NoMediaAttestation.id).where(NoMediaAttestation.device_id == device_id))
    ).first() is not None
    evidence = [MediumEvidence(m.id, m.media_type, m.serial, tuple(verified.get(m.id, ()))) for m in media]
    return evidence, attested


async def blockers(session: AsyncSession, device_id: int, policy: WipePolicy = CURRENT_POLICY) -> list[str]:
    media, attested = await media_evidence(session, device_id)
    return gate_blockers(media, attested, policy)


async def ensure_wipe_gate(session: AsyncSession, device_id: int) -> None:
    """Refuses (409) a move past ``retired`` for a device whose media are not all certified."""
    found = await blockers(session, device_id)
    if found:
        raise Conflict(
            _("Device {id} has not passed the wipe gate: {blockers}.").format(id=device_id, blockers="; ".join(found)),
            blockers=found,
            policy_version=CURRENT_POLICY.version,
        )


async def accepted_certificate_ids(session: AsyncSession, device_id: int) -> list[int]:
    """The verified certificates that carry the device through the gate (one per medium, the earliest)."""
    rows = await session.execute(
        sa.select(WipeCertificate.id, WipeCertificate.medium_id, WipeCertificate.method, StorageMedium.media_type)
        .join(StorageMedium, StorageMedium.id == WipeCertificate.medium_id)
        .where(WipeCertificate.device_id == device_id, WipeCertificate.status == "verified")
        .order_by(WipeCertificate.id)
    )
    chosen: dict[int, int] = {}
    for cert_id, medium_id, method, media_type in rows.all():
        if medium_id not in chosen and CURRENT_POLICY.accepts(media_type, method):
            chosen[medium_id] = cert_id
    return sorted(chosen.values())


async def gate_move(session: AsyncSession, device_id: int, target: DeviceStatus) -> None:
    """The devices feature's hook before a move (service/devices/hooks.py): only a move past retired is gated."""
    if target.value in GATED_STATUSES:
        await ensure_wipe_gate(session, device_id)
