"""Recording wipe certificates (by hand or from a tool's report) and reviewing them with four eyes.

A certificate is recorded for one medium of a retired device, with a method the wipe policy accepts for that
medium; a second helpdesk or admin user verifies or rejects it. Verifying the last certificate the gate needs
moves the device from retired to wiped, with the certificates named on the lifecycle event.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.db import utcnow
from service.devices.lifecycle import Move
from service.devices.models import Device
from service.editing import expect_version
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.i18n import gettext
from service.wipes import gate
from service.wipes.models import StorageMedium, WipeCertificate, WipeDocument
from service.wipes.parsers import ensure_readable
from service.wipes.policy import CURRENT_POLICY, GATED_STATUSES
from service.wipes.reports import CONTENT_TYPES, ReportRefused, Upload, file_kind, safe_filename
from service.wipes.schemas import CertificateCreate
from service.wipes.service import get_medium

# A clock a few minutes fast on the wiping station is not a reason to refuse its report.
_CLOCK_SKEW = timedelta(minutes=10)


def require_retired(device: Device) -> None:
    if device.status == "retired":
        return
    if device.status in GATED_STATUSES:
        hint = "it has already passed the wipe gate"
    elif device.status == "lost":
        hint = "a lost device cannot be wiped"
    else:
        hint = "retire it first"
    raise Conflict(
        gettext("Device {id} is {status}; wipe certificates are recorded for retired devices ({hint}).").format(
            id=device.id, status=device.status, hint=hint
        ),
        current_status=device.status,
    )


async def ensure_medium_needs_certificate(session: AsyncSession, medium: StorageMedium) -> None:
    rows = await session.execute(
        sa.select(WipeCertificate.id, WipeCertificate.status, WipeCertificate.method)
        .where(WipeCertificate.medium_id == medium.id, WipeCertificate.status != "rejected")
        .order_by(WipeCertificate.id)
    )
    for cert_id, status, method in rows.all():
        if status == "recorded":
            raise Conflict(
                gettext(
                    "Medium #{id} already has certificate #{cert_id} waiting for review; verify or reject it first."
                ).format(id=medium.id, cert_id=cert_id)
            )
        if CURRENT_POLICY.accepts(medium.media_type, method):
            raise Conflict(
                gettext("Medium #{id} is already sanitized: certificate #{cert_id} was verified.").format(
                    id=medium.id, cert_id=cert_id
                )
            )


def check_performed_at(performed_at: datetime, device: Device, field: str = "performed_at") -> None:
    if performed_at > utcnow() + _CLOCK_SKEW:
        raise InvalidInput.field(field, gettext("is in the future"))
    if performed_at.date() < device.purchase_date:
        raise InvalidInput.field(
            field, gettext("is before the device was bought ({day})").format(day=device.purchase_date.isoformat())
        )


async def store_document(session: AsyncSession, actor: Actor, upload: Upload, kind: str) -> WipeDocument:
    """Keeps the tool's report byte for byte; an identical file already kept is reused."""
    digest = hashlib.sha256(upload.data).hexdigest()
    existing = (
        await session.exec(
            select(WipeDocument).where(WipeDocument.sha256 == digest, WipeDocument.size_bytes == len(upload.data))
        )
    ).first()
    if existing is not None:
        return existing
    document = WipeDocument(
        sha256=digest,
        content_type=CONTENT_TYPES[kind],
        filename=safe_filename(upload.filename, kind),
        size_bytes=len(upload.data),
        content=upload.data,
        uploaded_by=actor.name,
    )
    session.add(document)
    await session.flush()
    after = audit.snapshot(document, exclude=frozenset({"content"}))
    await audit.record(session, actor, "wipe_document.create", "wipe_document", document.id, after=after)
    return document


async def create_certificate(
    session: AsyncSession,
    actor: Actor,
    device: Device,
    medium: StorageMedium,
    *,
    method: str,
    technique: str,
    tool: str,
    tool_version: str,
    verification_method: str,
    verification_result: str,
    performed_by: str,
    performed_at: datetime,
    destination: str,
    notes: str = "",
    source: str = "manual",
    report_ref: str = "",
    document: WipeDocument | None = None,
) -> WipeCertificate:
    """The one place a certificate row is written. The caller holds the device lock."""
    refusal = CURRENT_POLICY.refusal(medium.media_type, method)
    if refusal:
        raise InvalidInput.field("method", f"{refusal[0].upper()}{refusal[1:]}")
    assert device.id is not None and medium.id is not None
    certificate = WipeCertificate(
        device_id=device.id,
        medium_id=medium.id,
        media_type=medium.media_type,
        media_serial=medium.serial,
        method=method,
        technique=technique,
        tool=tool,
        tool_version=tool_version,
        verification_method=verification_method,
        verification_result=verification_result,
        performed_by=performed_by,
        performed_at=performed_at,
        destination=destination,
        notes=notes,
        source=source,
        report_ref=report_ref,
        document_id=document.id if document else None,
        policy_version=CURRENT_POLICY.version,
        recorded_by=actor.name,
        recorded_by_user_id=actor.user_id,
    )
    session.add(certificate)
    await session.flush()
    await audit.record(
        session, actor, "wipe_certificate.record", "wipe_certificate", certificate.id, after=audit.snapshot(certificate)
    )
    return certificate


async def record_certificate(
    session: AsyncSession,
    actor: Actor,
    device_id: int,
    data: CertificateCreate,
    upload: Upload | None,
    *,
    max_bytes: int,
) -> WipeCertificate:
    """A certificate typed in by helpdesk, optionally with the tool's report (PDF, XML or JSON) as evidence."""
    device = await gate.lock_device(session, device_id)
    require_retired(device)
    try:
        medium = await get_medium(session, device_id, data.medium_id)
    except NotFound as exc:
        raise InvalidInput.field("medium_id", exc.detail) from None
    await ensure_medium_needs_certificate(session, medium)
    check_performed_at(data.performed_at, device)
    document = None
    if upload is not None:
        try:
            kind = file_kind(upload.filename, upload.content_type, upload.data, max_bytes)
            ensure_readable(kind, upload.data)
        except ReportRefused as exc:
            raise InvalidInput.field("report", f"{upload.filename}: {exc.reason}") from None
        document = await store_document(session, actor, upload, kind)
    return await create_certificate(
        session, actor, device, medium, **data.model_dump(exclude={"medium_id"}), document=document
    )


async def _under_review(
    session: AsyncSession, actor: Actor, certificate_id: int, expected_version: int | None
) -> tuple[WipeCertificate, Device]:
    found = await session.get(WipeCertificate, certificate_id)
    if found is None:
        raise NotFound(gettext("No wipe certificate has id {certificate_id}.").format(certificate_id=certificate_id))
    device = await gate.lock_device(session, found.device_id)
    stmt = (
        select(WipeCertificate)
        .where(WipeCertificate.id == certificate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    certificate = (await session.exec(stmt)).one()
    if expected_version is not None:
        expect_version(certificate, expected_version, "wipe certificate")
    if certificate.status != "recorded":
        raise Conflict(
            gettext("Certificate {certificate_id} was already {status} by {reviewed_by}.").format(
                certificate_id=certificate_id, status=certificate.status, reviewed_by=certificate.reviewed_by
            ),
            current_status=certificate.status,
        )
    if actor.name == certificate.recorded_by or (
        actor.user_id is not None and actor.user_id == certificate.recorded_by_user_id
    ):
        raise Forbidden(
            gettext(
                "You recorded this certificate; another helpdesk or admin user must verify or reject it (four eyes)."
            )
        )
    return certificate, device


async def verify_certificate(
    session: AsyncSession, actor: Actor, certificate_id: int, expected_version: int | None = None
) -> tuple[WipeCertificate, Device, bool]:
    """Verifies a certificate; when it was the last one the gate needed, the device moves retired -> wiped."""
    from service.devices.service import move_device

    certificate, device = await _under_review(session, actor, certificate_id, expected_version)
    medium = await session.get(StorageMedium, certificate.medium_id)
    assert medium is not None
    refusal = CURRENT_POLICY.refusal(medium.media_type, certificate.method)
    if refusal:
        raise Conflict(
            gettext("Certificate {certificate_id} cannot be verified: {refusal}. Reject it instead.").format(
                certificate_id=certificate_id, refusal=refusal
            )
        )
    before = {"status": certificate.status, "version": certificate.version}
    certificate.status, certificate.reviewed_by, certificate.reviewed_by_user_id = "verified", actor.name, actor.user_id
    certificate.reviewed_at = utcnow()
    certificate.version += 1
    await session.flush()
    after = {"status": "verified", "reviewed_by": actor.name, "version": certificate.version}
    await audit.record(
        session, actor, "wipe_certificate.verify", "wipe_certificate", certificate_id, before=before, after=after
    )
    moved = False
    assert device.id is not None
    if device.status == "retired" and not await gate.blockers(session, device.id):
        ids = await gate.accepted_certificate_ids(session, device.id)
        device = await move_device(
            session,
            actor,
            device.id,
            Move.wipe,
            reason=f"Automatic: certificate {certificate_id} was the last one the wipe gate needed",
            details={"certificate_ids": ids, "policy_version": CURRENT_POLICY.version},
        )
        moved = True
    return certificate, device, moved


async def reject_certificate(
    session: AsyncSession, actor: Actor, certificate_id: int, reason: str, expected_version: int | None = None
) -> WipeCertificate:
    if len(reason.strip()) < 3:
        raise InvalidInput.field("reason", gettext("say in a few words why the certificate is rejected"))
    certificate, _ = await _under_review(session, actor, certificate_id, expected_version)
    before = {"status": certificate.status, "version": certificate.version}
    certificate.status, certificate.reviewed_by, certificate.reviewed_by_user_id = "rejected", actor.name, actor.user_id
    certificate.reviewed_at, certificate.rejection_reason = utcnow(), reason.strip()
    certificate.version += 1
    await session.flush()
    after = {"status": "rejected", "reviewed_by": actor.name, "reason": reason.strip(), "version": certificate.version}
    await audit.record(
        session, actor, "wipe_certificate.reject", "wipe_certificate", certificate_id, before=before, after=after
    )
    return certificate
