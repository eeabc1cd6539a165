"""The demo's donations: charity details and shares, valued devices in the pool, and one earlier donation that
went all the way to acknowledged, so finance and the charity portal have something to show (demo mode only).

Uses the public service functions only, in the order real users would: certify the wipe (and verify it, four
eyes), estimate, accept, run, submit, approve (another finance user), mark paid, acknowledge.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import DBAPIError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.models import User
from service.accounts.permissions import Role
from service.charities import service as charities
from service.charities.models import Charity
from service.charities.schemas import CharityUpdate, ShareItem
from service.companies import shares as company_shares
from service.companies.models import DEFAULT_COMPANY_ID, Company
from service.context import Actor
from service.db import utcnow
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.donations import service as donations
from service.donations.run import run_donations
from service.errors import DomainError
from service.settings import Settings
from service.valuation import service as valuation
from service.wipes import certificates
from service.wipes import service as wipes
from service.wipes.models import StorageMedium
from service.wipes.schemas import CertificateCreate

# (RSIN, KvK, address, contact, e-mail, share %, minimum, cost per refurbished device)
DETAILS = [
    (
        "801234566",
        "41234567",
        "Oudegracht 120, 3511 AX Utrecht",
        "Femke Visser",
        "femke@digitalebrug.example",
        "60",
        "150.00",
        "180.00",
    ),
    (
        "812345678",
        "52345678",
        "Kruisstraat 15, 5612 CJ Eindhoven",
        "Yusuf Kaya",
        "yusuf@laptopsvooriedereen.example",
        "40",
        "100.00",
        "220.00",
    ),
]
ZORG_SHARES = ("0", "100")  # the care company's own shares, in the order of DETAILS: all to the second charity
ZORG_EARLIER = 3  # the care company's devices valued before the earlier donation
EARLIER = 6  # devices valued before the earlier donation
LATER = 8  # devices valued since, waiting in the pool for the next run
log = structlog.get_logger("kringloop.demo")


def _actor(user: User) -> Actor:
    return Actor(name=user.username, user_id=user.id, role=Role(user.role), charity_id=user.charity_id)


async def _users(session: AsyncSession) -> dict[str, Actor]:
    return {u.username: _actor(u) for u in (await session.exec(select(User))).all()}


async def _wipe(session: AsyncSession, helpdesk: Actor, reviewer: Actor, device_id: int) -> bool:
    """Through the wipe gate as helpdesk would go: a monitor gets a no-storage-media attestation; every other
    device a crypto-erase certificate per medium, recorded by helpdesk and verified by a second helpdesk user (the
    last verification moves the device to wiped). A device the gate still refuses is skipped, not fatal."""
    device = await session.get(Device, device_id)
    model = await session.get(DeviceModel, device.model_id) if device else None
    assert device is not None and model is not None
    try:
        async with session.begin_nested():
            if model.storage_media_count == 0:
                await wipes.attest_no_media(session, helpdesk, device_id, "A monitor: it holds no storage media.")
                return True
            media = list((await session.exec(select(StorageMedium).where(StorageMedium.device_id == device_id))).all())
            if not media:  # registered before its media were listed
                await wipes.seed_media_from_model(session, helpdesk, device, model)
                media = list(
                    (await session.exec(select(StorageMedium).where(StorageMedium.device_id == device_id))).all()
                )
            for medium in media:
                certificate = await certificates.record_certificate(
                    session,
                    helpdesk,
                    device_id,
                    CertificateCreate(
                        medium_id=medium.id,  # type: ignore[arg-type]
                        method="purge",
                        technique="crypto erase",
                        tool="Blancco Drive Eraser",
                        tool_version="7.11",
                        verification_method="full",
                        verification_result="Erasure completed and verified on every sector",
                        performed_by="Helpdesk workbench",
                        performed_at=utcnow(),
                    ),
                    None,
                    max_bytes=1_000_000,
                )
                await certificates.verify_certificate(session, reviewer, certificate.id)  # type: ignore[arg-type]
    except (DomainError, DBAPIError) as exc:
        log.warning("demo_device_not_wiped", device_id=device_id, reason=str(exc)[:200])
        return False
    return True


async def _value(session: AsyncSession, users: dict[str, Actor], device: Device, today: date) -> bool:
    device_id, status, finance = device.id, device.status, users["finance"]
    assert device_id is not None
    if status == "retired" and not await _wipe(session, users["helpdesk"], users["helpdesk2"], device_id):
        return False
    estimate = await valuation.estimate_device(session, finance, device_id, today)
    if estimate.status == "estimate":  # the policy may have auto-accepted a small one already
        await valuation.accept(session, finance, estimate.id)  # type: ignore[arg-type]
    return True


async def seed_donations(session: AsyncSession, settings: Settings, today: date) -> str:
    users = await _users(session)
    admin, finance = users["admin"], users["finance"]
    found = list((await session.exec(select(Charity).order_by(Charity.id))).all())
    for charity, (rsin, kvk, address, contact, email, _, minimum, cost) in zip(found, DETAILS, strict=False):
        await charities.update_charity(
            session,
            admin,
            charity.id,  # type: ignore[arg-type]
            CharityUpdate(
                version=charity.version,
                rsin=rsin,
                kvk_number=kvk,
                anbi_status="anbi",
                anbi_checked_on=today - timedelta(days=30),
                address=address,
                contact_name=contact,
                contact_email=email,
                minimum_donation=minimum,
                cost_per_device=cost,
                # Never contacted: in demo mode statements go to the built-in fake charity.
                webhook_url=f"https://{email.split('@')[1]}/kringloop/statements",
            ),
        )
    await charities.set_shares(
        session,
        admin,
        [ShareItem(charity_id=c.id, share=d[5]) for c, d in zip(found, DETAILS, strict=False)],  # type: ignore[arg-type]
    )
    # The care company (the demo's second) gives everything to the other charity: its pool donates by shares of
    # its own.
    second = select(Company).where(Company.id != DEFAULT_COMPANY_ID).order_by(Company.id)  # type: ignore[arg-type]
    zorg = (await session.exec(second)).first()
    if zorg is not None and zorg.id is not None:
        items = [ShareItem(charity_id=c.id, share=share) for c, share in zip(found, ZORG_SHARES, strict=False)]  # type: ignore[arg-type]
        await company_shares.set_own_shares(session, admin, zorg.id, items)
    candidates = (
        await session.exec(
            select(Device)
            .where(Device.status.in_(("wiped", "retired")))  # type: ignore[attr-defined]
            .order_by(sa.case((Device.status == "wiped", 0), else_=1), Device.id)
        )
    ).all()
    # The care company's few valued devices all go into the earlier donation (all of it to one charity, so
    # nothing is left below a minimum): what waits for the next run is the default company's alone.
    zorg_id = zorg.id if zorg is not None else None
    ours = [d for d in candidates if d.company_id != zorg_id]
    theirs = [d for d in candidates if d.company_id == zorg_id]
    for device in ours[:EARLIER] + theirs[:ZORG_EARLIER]:
        await _value(session, users, device, today)
    earlier = await run_donations(session, Actor.system("donations"))
    for n, donation in enumerate(earlier.donations):
        assert donation.id is not None
        await donations.submit(session, finance, donation.id)
        await donations.approve(session, users["finance2"], settings, donation.id)
        await donations.mark_paid(session, finance, donation.id, f"SEPA {today.year}-DEMO-{donation.id:04d}")
        if n == 0:  # the first charity confirmed; the second's is paid and waits for charity2 to acknowledge it
            charity_user = next(a for a in users.values() if a.charity_id == donation.charity_id)
            await donations.acknowledge(session, charity_user, donation.id)
    waiting = [await _value(session, users, device, today) for device in ours[EARLIER : EARLIER + LATER]]
    return f"{len(earlier.donations)} donations, {sum(waiting)} valued devices waiting in the pool"
