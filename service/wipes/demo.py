"""The demo's wipes: wiped devices with verified certificates from imported tool reports, retired devices still
waiting (one with a certificate to verify, one overdue and flagged), as helpdesk would leave them (demo mode only).

Reports are generated in the tools' own formats (Blancco XML, nwipe JSON) and go through the same import as an
upload, so the certificate pages have a report file to download.
"""

from __future__ import annotations

import json
from datetime import timedelta
from xml.sax.saxutils import escape

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.models import User
from service.accounts.permissions import Role
from service.context import Actor
from service.db import utcnow
from service.device_models.models import DeviceModel
from service.devices.models import Device, DeviceEvent
from service.ports import Ports
from service.settings import Settings
from service.wipes import certificates, imports
from service.wipes.jobs import flag_overdue_wipes
from service.wipes.models import StorageMedium
from service.wipes.reports import Upload

WIPED = 3  # retired devices the demo takes through the gate
_BLANCCO_TYPES = {"ssd": "SSD", "emmc": "eMMC", "phone_memory": "Mobile device", "sd_card": "SD card"}


def _entries(name: str, **values: str) -> str:
    body = "".join(f'<entry name="{k}" type="string">{escape(v)}</entry>' for k, v in values.items())
    return f'<entries name="{name}">{body}</entries>'


def blancco_report(device: Device, model: DeviceModel, disk_serial: str, media_type: str, n: int) -> bytes:
    """A Blancco Drive Eraser report of one crypto erase, in the generic entries form Blancco writes."""
    end = utcnow() - timedelta(hours=2 + n)
    start = end - timedelta(minutes=14)
    system = _entries("system", manufacturer=model.manufacturer, model=model.name, serial=device.serial_number or "")
    target = _entries("target", type=_BLANCCO_TYPES.get(media_type, "SSD"), serial=disk_serial, capacity="256060514304")
    erasure = (
        '<entries name="erasure">'
        + "".join(
            f'<entry name="{k}" type="string">{escape(v)}</entry>'
            for k, v in {
                "start_time": start.isoformat(),
                "end_time": end.isoformat(),
                "erasure_standard_name": "NIST 800-88 Purge (Cryptographic Erase)",
                "state": "Successful",
                "total_erasure_rounds": "1",
                "verification": "Full",
            }.items()
        )
        + target
        + "</entries>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><root><report><blancco_data><description>'
        f"<document_id>00000000-demo-4000-8000-{n:012d}</document_id><document_log><log_entry><author>"
        "<product_name>Blancco Drive Eraser</product_name><product_version>7.12.1</product_version></author>"
        "</log_entry></document_log><company_information><business_name>Kringloop Demo BV</business_name>"
        "<erasure_person>Jesse Visser</erasure_person></company_information></description>"
        f"<blancco_hardware_report>{system}</blancco_hardware_report>"
        f'<blancco_erasure_report><entries name="erasures">{erasure}</entries></blancco_erasure_report>'
        "</blancco_data></report></root>"
    )
    return xml.encode()


def nwipe_report(disk_serial: str, n: int) -> bytes:
    end = int((utcnow() - timedelta(hours=3 + n)).timestamp())
    return json.dumps(
        {
            "report_metadata": {"generated_at": "demo", "software": "nwipe", "version": "0.38"},
            "organization": {"business_name": "Kringloop Demo BV"},
            "device": {
                "name": "/dev/sda",
                "model": "ST500LM021-1KJ152",
                "serial_no": disk_serial,
                "size_bytes": 500107862016,
                "size_text": "500 GB",
            },
            "wipe_result": {
                "status": "success",
                "rounds_requested": 1,
                "pass_errors": 0,
                "verify_errors": 0,
                "start_time": end - 5400,
                "end_time": end,
                "duration_seconds": 5400,
            },
        },
        indent=2,
    ).encode()


async def _actors(session: AsyncSession) -> dict[str, Actor]:
    users = (await session.exec(select(User))).all()
    return {u.username: Actor(name=u.username, user_id=u.id, role=Role(u.role)) for u in users}


async def _report_for(session: AsyncSession, device: Device, n: int) -> Upload | None:
    model = await session.get(DeviceModel, device.model_id)
    media = (await session.exec(select(StorageMedium).where(StorageMedium.device_id == device.id))).all()
    if model is None or len(media) != 1 or not device.serial_number:
        return None
    disk_serial = f"DEMO{device.id:05d}D{n}"
    if media[0].media_type == "hdd":
        return Upload(f"nwipe_report_{disk_serial}.json", "application/json", nwipe_report(disk_serial, n))
    data = blancco_report(device, model, disk_serial, media[0].media_type, n)
    return Upload(f"blancco-{device.asset_tag}.xml", "application/xml", data)


async def seed_wipes(session: AsyncSession, settings: Settings) -> str:
    actors = await _actors(session)
    helpdesk, reviewer = actors["helpdesk"], actors["helpdesk2"]
    retired = list((await session.exec(select(Device).where(Device.status == "retired").order_by(Device.id))).all())
    wiped, pending = 0, None
    untouched: list[Device] = []
    for n, device in enumerate(retired):
        upload = await _report_for(session, device, n) if pending is None else None
        if upload is None:
            untouched.append(device)
            continue
        [outcome] = await imports.import_reports(
            session, helpdesk, [upload], device_id=device.id, max_bytes=settings.wipe_report_max_bytes, tz=settings.tz
        )
        if not outcome.recorded:
            untouched.append(device)
        elif wiped < WIPED:
            for certificate_id in outcome.certificate_ids:
                await certificates.verify_certificate(session, reviewer, certificate_id)
            wiped += 1
        else:  # this one waits for a second helpdesk user to verify it
            pending = device
    overdue = 0
    if untouched:
        # One device was retired three weeks ago and still has no certificate: the overdue-wipes job flags it.
        late = untouched[0]
        then = utcnow() - timedelta(days=settings.wipe_overdue_days + 7)
        await session.execute(sa.update(Device).where(Device.id == late.id).values(status_changed_at=then))
        await session.execute(
            sa.update(DeviceEvent)
            .where(DeviceEvent.device_id == late.id, DeviceEvent.move == "retire")  # type: ignore[arg-type]
            .values(at=then)
        )
        counts = await flag_overdue_wipes(session, Actor.system("overdue-wipes"), Ports(), settings)
        overdue = int(counts["flagged"])
    waiting = len(untouched) + (pending is not None)
    return f"{wiped} devices wiped with verified certificates, {waiting} retired waiting ({overdue} overdue)"
