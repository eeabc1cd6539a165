"""Importing wipe-tool reports (nwipe JSON, Blancco XML) as certificates, one file at a time.

Each erasure in a report is matched by serial number: a listed medium's serial first, then the device's own
serial (Blancco's hardware report names the computer), where a single medium whose serial nobody knew yet takes
the reported one. Uploaded on a device's page, a report for a device without listed media adds the medium it
describes. A file is all or nothing: any erasure that fails, matches nothing or is not enough for the wipe
policy refuses the whole file with the reason, and nothing of it is written (each file runs in a savepoint).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import tzinfo

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.errors import DomainError
from service.i18n import gettext
from service.wipes import gate
from service.wipes.certificates import (
    check_performed_at,
    create_certificate,
    ensure_medium_needs_certificate,
    require_retired,
    store_document,
)
from service.wipes.models import StorageMedium, WipeCertificate
from service.wipes.parsers import parse_report
from service.wipes.policy import CURRENT_POLICY, MEDIA_TYPES
from service.wipes.reports import Erasure, ParsedReport, ReportRefused, Upload, file_kind, nist_method


@dataclass
class FileOutcome:
    filename: str
    sha256: str | None
    recorded: bool = False
    reason: str | None = None
    device_id: int | None = None
    certificate_ids: list[int] = field(default_factory=list)
    media_added: list[int] = field(default_factory=list)


@dataclass
class _Match:
    erasure: Erasure
    device: Device
    medium: StorageMedium | None  # None: add the medium the report describes
    serial_learned: bool = False


async def import_reports(
    session: AsyncSession,
    actor: Actor,
    uploads: list[Upload],
    *,
    device_id: int | None = None,
    destination: str = "external_reuse",
    max_bytes: int,
    tz: tzinfo,
) -> list[FileOutcome]:
    outcomes = []
    for upload in uploads:
        digest = hashlib.sha256(upload.data).hexdigest() if upload.data else None
        outcome = FileOutcome(filename=upload.filename, sha256=digest)
        try:
            async with session.begin_nested():
                await _import_one(session, actor, upload, outcome, device_id, destination, max_bytes, tz)
        except ReportRefused as exc:
            outcome.reason = exc.reason
        except DomainError as exc:
            outcome.reason = exc.detail
        else:
            outcome.recorded = True
        if not outcome.recorded:
            outcome.certificate_ids, outcome.media_added = [], []
        outcomes.append(outcome)
    return outcomes


async def _import_one(
    session: AsyncSession,
    actor: Actor,
    upload: Upload,
    outcome: FileOutcome,
    device_id: int | None,
    destination: str,
    max_bytes: int,
    tz: tzinfo,
) -> None:
    report = parse_report(upload.filename, upload.content_type, upload.data, max_bytes=max_bytes, tz=tz)
    matches = [await _match(session, report, erasure, device_id) for erasure in report.erasures]
    seen: set[int] = set()
    for m in matches:
        if m.medium is not None and m.medium.id in seen:
            raise ReportRefused(gettext("the report lists two erasures of medium #{id}").format(id=m.medium.id))
        if m.medium is not None and m.medium.id is not None:
            seen.add(m.medium.id)
    # Lock the devices in id order before writing anything, like every other writer of media and certificates.
    devices: dict[int, Device] = {}
    for did in sorted({m.device.id for m in matches if m.device.id is not None}):
        devices[did] = await gate.lock_device(session, did)
    for m in matches:
        device = devices[m.device.id]  # type: ignore[index]
        require_retired(device)
        check_performed_at(m.erasure.finished_at, device)
    document = await store_document(
        session, actor, upload, file_kind(upload.filename, upload.content_type, upload.data, max_bytes)
    )
    for m in matches:
        device = devices[m.device.id]  # type: ignore[index]
        medium = m.medium or await _add_reported_medium(session, actor, device, m.erasure, report, outcome)
        if m.serial_learned:
            await _learn_serial(session, actor, medium, m.erasure)
        _ensure_same_kind(medium, m.erasure)
        await ensure_medium_needs_certificate(session, medium)
        await _ensure_not_imported_before(session, medium, document.id)
        method, technique = _method_for(m.erasure, medium.media_type)
        certificate = await create_certificate(
            session,
            actor,
            device,
            medium,
            method=method,
            technique=technique[:200],
            tool=report.tool,
            tool_version=report.tool_version,
            verification_method=m.erasure.verification_method,
            verification_result=m.erasure.verification_result,
            performed_by=report.operator or f"{report.tool} operator (not named in the report)",
            performed_at=m.erasure.finished_at,
            destination=destination,
            notes=_notes(report, m.erasure),
            source=report.source,
            report_ref=report.report_ref,
            document=document,
        )
        assert certificate.id is not None
        outcome.certificate_ids.append(certificate.id)
        outcome.device_id = device.id
    await audit.record(
        session,
        actor,
        "wipe_report.import",
        "wipe_document",
        document.id,
        after={
            "filename": upload.filename,
            "sha256": document.sha256,
            "certificate_ids": outcome.certificate_ids,
            "media_added": outcome.media_added,
        },
    )


def _method_for(erasure: Erasure, media_type: str) -> tuple[str, str]:
    if erasure.forced_method:
        return erasure.forced_method, erasure.standard
    return nist_method(erasure.standard, media_type)


async def _media_with_serial(session: AsyncSession, serial: str) -> list[StorageMedium]:
    stmt = select(StorageMedium).where(sa.func.upper(StorageMedium.serial) == serial.upper()).order_by(StorageMedium.id)
    return list((await session.exec(stmt)).all())


async def _devices_with_serial(session: AsyncSession, serial: str) -> list[Device]:
    stmt = select(Device).where(sa.func.upper(Device.serial_number) == serial.upper()).order_by(Device.id)
    return list((await session.exec(stmt)).all())


def _name(device: Device) -> str:
    return f"device {device.id} ({device.asset_tag or device.serial_number})"


async def _match(session: AsyncSession, report: ParsedReport, erasure: Erasure, device_id: int | None) -> _Match:
    serial = erasure.serial or ""
    media = await _media_with_serial(session, serial)
    if device_id is not None:
        here = [m for m in media if m.device_id == device_id]
        if here:
            return _Match(erasure, await _device(session, device_id), here[0])
        if media:
            owner = await _device(session, media[0].device_id)
            raise ReportRefused(
                gettext("disk serial {serial} is listed on {owner}, not on this device").format(
                    serial=serial, owner=_name(owner)
                )
            )
    elif len(media) == 1:
        return _Match(erasure, await _device(session, media[0].device_id), media[0])
    elif len(media) > 1:
        raise ReportRefused(
            gettext(
                "disk serial {serial} is listed on {media} media; upload the report on the right device's page"
            ).format(serial=serial, media=len(media))
        )
    # No medium carries the serial: find the device by its own serial (the computer's, or the disk's for a phone).
    candidates = [s for s in (report.system_serial, erasure.serial) if s]
    if device_id is not None:
        device = await _device(session, device_id)
        own = (device.serial_number or "").upper()
        if report.system_serial and own and report.system_serial.upper() != own:
            raise ReportRefused(
                gettext(
                    "the report is for the computer with serial {system_serial}, but this device's serial is "
                    "{serial_number}"
                ).format(system_serial=report.system_serial, serial_number=device.serial_number)
            )
    else:
        found: dict[int, Device] = {}
        for s in candidates:
            for d in await _devices_with_serial(session, s):
                found[d.id] = d  # type: ignore[index]
        if not found:
            also = f" nor computer serial {report.system_serial}" if report.system_serial else ""
            raise ReportRefused(
                gettext("no device or storage medium has serial {serial}{also}").format(serial=serial, also=also)
            )
        if len(found) > 1:
            raise ReportRefused(
                gettext("serial {serial} belongs to several devices; upload it on the device's page").format(
                    serial=candidates[0]
                )
            )
        device = next(iter(found.values()))
    return await _match_within(session, erasure, device, device_page=device_id is not None)


async def _match_within(session: AsyncSession, erasure: Erasure, device: Device, *, device_page: bool) -> _Match:
    media = list((await session.exec(select(StorageMedium).where(StorageMedium.device_id == device.id))).all())
    if not media:
        if device_page:
            return _Match(erasure, device, None)
        raise ReportRefused(
            gettext(
                "{device} has no storage media listed; upload the report on its page to add the medium it "
                "describes, or list the medium first"
            ).format(device=_name(device))
        )
    unknown = [m for m in media if not m.serial and (erasure.media_type in (None, m.media_type))]
    if len(unknown) == 1:
        return _Match(erasure, device, unknown[0], serial_learned=True)
    listed = ", ".join(f"#{m.id} {m.media_type} {m.serial or 'serial unknown'}" for m in media)
    raise ReportRefused(
        gettext(
            "disk serial {serial} matches none of the media of {device} ({listed}); set the medium's "
            "serial number first"
        ).format(serial=erasure.serial, device=_name(device), listed=listed)
    )


async def _device(session: AsyncSession, device_id: int) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise ReportRefused(gettext("no device has id {device_id}").format(device_id=device_id))
    return device


def _ensure_same_kind(medium: StorageMedium, erasure: Erasure) -> None:
    if erasure.media_type and erasure.media_type != medium.media_type:
        raise ReportRefused(
            gettext(
                "the report describes {serial} as {media_type}, but medium #{id} is listed as "
                "{media_type2}; correct the medium first"
            ).format(serial=erasure.serial, media_type=erasure.media_type, id=medium.id, media_type2=medium.media_type)
        )


async def _ensure_not_imported_before(session: AsyncSession, medium: StorageMedium, document_id: int | None) -> None:
    earlier = (
        await session.exec(
            select(WipeCertificate.id, WipeCertificate.status).where(
                WipeCertificate.medium_id == medium.id, WipeCertificate.document_id == document_id
            )
        )
    ).first()
    if earlier is not None:
        raise ReportRefused(
            gettext(
                "this report was already recorded for medium #{id} as certificate #{certificate} ({status})"
            ).format(id=medium.id, certificate=earlier[0], status=earlier[1])
        )


async def _add_reported_medium(
    session: AsyncSession, actor: Actor, device: Device, erasure: Erasure, report: ParsedReport, outcome: FileOutcome
) -> StorageMedium:
    media_type = erasure.media_type
    if media_type is None:
        model = await session.get(DeviceModel, device.model_id)
        media_type = model.storage_media_type if model is not None else None
    if media_type not in MEDIA_TYPES:
        raise ReportRefused(
            gettext(
                "the report does not say what kind of medium {serial} is; add the medium with its type first"
            ).format(serial=erasure.serial)
        )
    assert media_type is not None
    medium = StorageMedium(
        device_id=device.id,  # type: ignore[arg-type]
        media_type=media_type,
        serial=erasure.serial,
        capacity_bytes=erasure.capacity_bytes,
        description=" ".join(p for p in (erasure.vendor, erasure.model) if p)[:200],
        source="report",
    )
    session.add(medium)
    await session.flush()
    await audit.record(
        session, actor, "storage_medium.create", "storage_medium", medium.id, after=audit.snapshot(medium)
    )
    assert medium.id is not None
    outcome.media_added.append(medium.id)
    return medium


async def _learn_serial(session: AsyncSession, actor: Actor, medium: StorageMedium, erasure: Erasure) -> None:
    before = {"serial": medium.serial, "capacity_bytes": medium.capacity_bytes, "version": medium.version}
    medium.serial = erasure.serial
    if medium.capacity_bytes is None:
        medium.capacity_bytes = erasure.capacity_bytes
    medium.version += 1
    await session.flush()
    after = {"serial": medium.serial, "capacity_bytes": medium.capacity_bytes, "version": medium.version,
             "from": "wipe report"}  # fmt: skip
    await audit.record(session, actor, "storage_medium.update", "storage_medium", medium.id, before=before, after=after)


def _notes(report: ParsedReport, erasure: Erasure) -> str:
    parts = [f"Imported from a {report.tool} report"]
    if report.report_ref:
        parts.append(f"document {report.report_ref}")
    if report.system_description or report.system_serial:
        parts.append(f"computer {report.system_description} {report.system_serial or ''}".strip())
    if erasure.model or erasure.vendor:
        parts.append(f"disk {erasure.vendor} {erasure.model}".strip())
    if erasure.started_at:
        parts.append(f"started {erasure.started_at.isoformat()}")
    parts.append(f"policy v{CURRENT_POLICY.version}")
    return "; ".join(parts) + "."
