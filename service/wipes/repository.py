"""Read queries of the wipes feature: media with their certificates, the certificate register, overdue devices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.errors import InvalidInput, NotFound
from service.i18n import gettext
from service.pagination import Page, keyset, page_of
from service.wipes.models import (
    CERTIFICATE_STATUSES,
    NoMediaAttestation,
    OverdueWipe,
    StorageMedium,
    WipeCertificate,
    WipeDocument,
)
from service.wipes.policy import CURRENT_POLICY

_certs: sa.Table = WipeCertificate.__table__  # type: ignore[attr-defined]
_docs: sa.Table = WipeDocument.__table__  # type: ignore[attr-defined]
_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]

# A certificate with its device's identity and its report file's metadata (never the file's bytes).
_CERT_COLUMNS = (
    *_certs.columns,
    _devices.c.asset_tag,
    _devices.c.serial_number.label("device_serial"),
    _devices.c.manufacturer,
    _devices.c.status.label("device_status"),
    _models.c.name.label("model_name"),
    _docs.c.filename.label("document_filename"),
    _docs.c.content_type.label("document_content_type"),
    _docs.c.size_bytes.label("document_size_bytes"),
    _docs.c.sha256.label("document_sha256"),
)


def _cert_view() -> sa.Select[Any]:
    return sa.select(*_CERT_COLUMNS).select_from(
        _certs.join(_devices, _devices.c.id == _certs.c.device_id)
        .join(_models, _models.c.id == _devices.c.model_id)
        .outerjoin(_docs, _docs.c.id == _certs.c.document_id)
    )


async def ensure_device(session: AsyncSession, device_id: int) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise NotFound(gettext("No device has id {id}.").format(id=device_id))
    return device


async def certificate_view(session: AsyncSession, certificate_id: int) -> sa.Row[Any]:
    row = (await session.execute(_cert_view().where(_certs.c.id == certificate_id))).first()
    if row is None:
        raise NotFound(gettext("No wipe certificate has id {id}.").format(id=certificate_id))
    return row


def check_status(status: str | None) -> None:
    """Refuses a certificate status filter that is not one (a misspelling is not an empty register)."""
    if status and status not in CERTIFICATE_STATUSES:
        raise InvalidInput.field(
            "status",
            gettext("unknown status {status}; use one of {choices}").format(
                status=repr(status), choices=", ".join(CERTIFICATE_STATUSES)
            ),
        )


def _filtered(
    stmt: sa.Select[Any], *, device_id: int | None, status: str | None, since: datetime | None, until: datetime | None
) -> sa.Select[Any]:
    check_status(status)
    if device_id is not None:
        stmt = stmt.where(_certs.c.device_id == device_id)
    if status:
        stmt = stmt.where(_certs.c.status == status)
    if since is not None:
        stmt = stmt.where(_certs.c.performed_at >= since)
    if until is not None:
        stmt = stmt.where(_certs.c.performed_at < until)
    return stmt


async def list_certificates(
    session: AsyncSession,
    *,
    device_id: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None,
    limit: int,
) -> Page[sa.Row[Any]]:
    stmt = _filtered(_cert_view(), device_id=device_id, status=status, since=since, until=until)
    rows = (await session.execute(keyset(stmt, _certs.c.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def stream_register(
    session: AsyncSession,
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    device_id: int | None = None,
    chunk: int = 1000,
) -> AsyncIterator[list[sa.Row[Any]]]:
    """The whole register (or one device's part of it) in id order, a chunk at a time (keyset: memory stays flat)."""
    after = 0
    while True:
        stmt = _filtered(_cert_view(), device_id=device_id, status=status, since=since, until=until)
        rows = (await session.execute(stmt.where(_certs.c.id > after).order_by(_certs.c.id).limit(chunk))).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1].id


async def media_of(session: AsyncSession, device_id: int, *, cursor: str | None, limit: int) -> Page[StorageMedium]:
    stmt = select(StorageMedium).where(StorageMedium.device_id == device_id)
    rows = (await session.exec(keyset(stmt, StorageMedium.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def certificates_by_medium(session: AsyncSession, medium_ids: list[int]) -> dict[int, list[WipeCertificate]]:
    if not medium_ids:
        return {}
    stmt = (
        select(WipeCertificate)
        .where(WipeCertificate.medium_id.in_(medium_ids))  # type: ignore[attr-defined]
        .order_by(WipeCertificate.id)
    )
    out: dict[int, list[WipeCertificate]] = {}
    for cert in (await session.exec(stmt)).all():
        out.setdefault(cert.medium_id, []).append(cert)
    return out


def wipe_status(media_type: str, certificates: list[WipeCertificate]) -> str:
    if any(c.status == "verified" and CURRENT_POLICY.accepts(media_type, c.method) for c in certificates):
        return "sanitized"
    if any(c.status == "recorded" for c in certificates):
        return "awaiting_review"
    return "needs_certificate"


async def document(session: AsyncSession, certificate_id: int) -> WipeDocument:
    cert = await session.get(WipeCertificate, certificate_id)
    if cert is None:
        raise NotFound(gettext("No wipe certificate has id {id}.").format(id=certificate_id))
    if cert.document_id is None:
        raise NotFound(
            gettext("Wipe certificate {id} was recorded by hand without a report file.").format(id=certificate_id)
        )
    doc = await session.get(WipeDocument, cert.document_id)
    assert doc is not None
    return doc


async def overdue_devices(session: AsyncSession, limit: int = 50) -> list[sa.Row[Any]]:
    """Flagged devices still waiting for their certificates, longest waiting first."""
    stmt = (
        sa.select(
            _devices.c.id,
            _devices.c.asset_tag,
            _devices.c.serial_number,
            _devices.c.manufacturer,
            _models.c.name.label("model_name"),
            OverdueWipe.retired_at,
            OverdueWipe.flagged_at,
        )
        .select_from(OverdueWipe)
        .join(_devices, _devices.c.id == OverdueWipe.device_id)
        .join(_models, _models.c.id == _devices.c.model_id)
        .where(OverdueWipe.resolved_at.is_(None), _devices.c.status == "retired")  # type: ignore[union-attr]
        .order_by(OverdueWipe.retired_at, _devices.c.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def waiting_devices(session: AsyncSession, limit: int = 50) -> list[sa.Row[Any]]:
    """Retired devices (waiting for a wipe), oldest retirement first."""
    stmt = (
        sa.select(
            _devices.c.id,
            _devices.c.asset_tag,
            _devices.c.serial_number,
            _devices.c.manufacturer,
            _devices.c.status_changed_at,
            _models.c.name.label("model_name"),
        )
        .select_from(_devices.join(_models, _models.c.id == _devices.c.model_id))
        .where(_devices.c.status == "retired")
        .order_by(_devices.c.status_changed_at, _devices.c.id)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def all_media(session: AsyncSession, device_id: int) -> list[StorageMedium]:
    """A device's media in the order they were listed (a device has a handful; the page shows them all)."""
    statement = sa.select(StorageMedium).where(StorageMedium.device_id == device_id).order_by(StorageMedium.id)  # type: ignore[arg-type]
    return list((await session.execute(statement)).scalars().all())


async def attestation_of(session: AsyncSession, device_id: int) -> NoMediaAttestation | None:
    statement = sa.select(NoMediaAttestation).where(NoMediaAttestation.device_id == device_id)  # type: ignore[arg-type]
    return (await session.execute(statement)).scalars().first()
