"""The donation pool ledger: append entries under a lock, derive the balance, summarise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.companies import service as companies
from service.companies.models import Company
from service.context import Actor
from service.devices.models import Device
from service.errors import Conflict, InvalidInput
from service.i18n import _
from service.money import format_cents
from service.pagination import Page, keyset, page_of
from service.pool.ledger import EntryKind, LedgerRefused, next_balance
from service.pool.models import PoolEntry, PoolLock


async def balance(session: AsyncSession, company_id: int | None = None) -> int:
    """One company's pool balance; without a company, the sum of the pools the user may see."""
    if company_id is not None:
        stmt = (
            sa.select(PoolEntry.balance_after_cents)
            .where(PoolEntry.company_id == company_id)
            .order_by(PoolEntry.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
        return int((await session.execute(stmt)).scalar_one_or_none() or 0)
    latest = sa.select(sa.func.max(PoolEntry.id)).group_by(PoolEntry.company_id)
    stmt = sa.select(sa.func.coalesce(sa.func.sum(PoolEntry.balance_after_cents), 0)).where(PoolEntry.id.in_(latest))  # type: ignore[union-attr]
    return int((await session.execute(stmt)).scalar_one())


async def balances_by_company(session: AsyncSession) -> list[tuple[Company, int]]:
    """Each company the user may see with its pool balance, by name: one query for all the balances."""
    seen = await companies.all_companies(session)
    latest = sa.select(sa.func.max(PoolEntry.id)).group_by(PoolEntry.company_id)
    stmt = sa.select(PoolEntry.company_id, PoolEntry.balance_after_cents).where(PoolEntry.id.in_(latest))  # type: ignore[union-attr]
    held = {company_id: int(cents) for company_id, cents in (await session.execute(stmt)).all()}
    return sorted(((c, held.get(c.id or 0, 0)) for c in seen), key=lambda pair: (pair[0].name.lower(), pair[0].id or 0))


async def _company_of_device(session: AsyncSession, device_id: int) -> int:
    return int((await session.execute(sa.select(Device.company_id).where(Device.id == device_id))).scalar_one())


async def lock(session: AsyncSession) -> None:
    """Takes the pool lock. Callers that also move a device take it right after the device's row lock and
    before their first audit record: device row, then pool, then audit head, in every transaction, so two
    writers never wait on each other in a circle."""
    await session.execute(sa.select(PoolLock.id).where(PoolLock.id == 1).with_for_update())


async def append(
    session: AsyncSession,
    actor: Actor,
    kind: EntryKind,
    amount_cents: int,
    *,
    device_id: int | None = None,
    valuation_id: int | None = None,
    category: str = "",
    reason: str = "",
    company_id: int | None = None,
) -> PoolEntry:
    """Adds one entry to a company's pool: ``company_id``'s, else the device's. Writers queue on the pool lock, so
    the balance check and the insert are one step."""
    if company_id is None:
        if device_id is None:
            raise ValueError("a pool entry without a device names its company")
        company_id = await _company_of_device(session, device_id)
    await lock(session)
    current = await balance(session, company_id)
    try:
        after = next_balance(current, kind, amount_cents)
    except LedgerRefused as refused:
        raise Conflict(str(refused), balance=format_cents(current)) from None
    entry = PoolEntry(
        company_id=company_id,
        kind=kind.value,
        amount_cents=amount_cents,
        balance_after_cents=after,
        device_id=device_id,
        credit_device_id=device_id if kind is EntryKind.credit else None,
        valuation_id=valuation_id,
        category=category,
        reason=reason,
        actor=actor.name,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            _("Device {device_id} was already credited to the pool; a device is credited once.").format(
                device_id=device_id
            )
        ) from None
    await audit.record(session, actor, f"pool.{kind.value}", "pool_entry", entry.id, after=audit.snapshot(entry))
    return entry


async def device_net_cents(session: AsyncSession, device_id: int) -> int | None:
    """What the pool currently holds for a device (its credit and every correction), None if never credited."""
    rows = (
        await session.execute(
            sa.select(PoolEntry.kind, sa.func.sum(PoolEntry.amount_cents))
            .where(PoolEntry.device_id == device_id)
            .group_by(PoolEntry.kind)
        )
    ).all()
    by_kind = {kind: int(total) for kind, total in rows}
    if "credit" not in by_kind:
        return None
    return sum(by_kind.values())


async def ensure_not_allocated(session: AsyncSession, device_id: int) -> None:
    """A credit already allocated to a donation can no longer be corrected (409).

    Takes the pool lock first (a no-op when the caller holds it): donation runs allocate under the same lock, so
    no run can allocate the credit between this check and the caller's entry."""
    from service.donations.models import DonationAllocation

    await lock(session)
    stmt = (
        sa.select(DonationAllocation.donation_id)
        .join(PoolEntry, PoolEntry.id == DonationAllocation.pool_entry_id)
        .where(PoolEntry.credit_device_id == device_id, DonationAllocation.released_at.is_(None))  # type: ignore[union-attr]
        .order_by(DonationAllocation.donation_id)
        .limit(1)
    )
    donation_id = (await session.execute(stmt)).scalar_one_or_none()
    if donation_id is not None:
        raise Conflict(
            _(
                "Device {device_id}'s credit is allocated to donation {donation_id}, so its value can no longer be "
                "changed. Reject that donation first (or cancel it, if approved and unpaid) to release the credit."
            ).format(device_id=device_id, donation_id=donation_id),
            donation_id=donation_id,
        )


async def adjust(
    session: AsyncSession,
    actor: Actor,
    amount_cents: int,
    reason: str,
    device_id: int | None = None,
    company_id: int | None = None,
) -> PoolEntry:
    """A correction: of one device's credit (in the device's company's pool), or of a company's pool as a whole."""
    if not reason.strip():
        raise InvalidInput.field("reason", _("an adjustment needs a written reason"))
    category = ""
    if device_id is None:
        company_id = await companies.company_for_new(session, company_id)
    else:
        device = await session.get(Device, device_id)
        if device is None:
            raise InvalidInput.field("device_id", _("no device has id {device_id}").format(device_id=device_id))
        if company_id is not None and company_id != device.company_id:
            raise InvalidInput.field("company_id", _("a device's adjustment goes to the device's company"))
        company_id = device.company_id
        if await device_net_cents(session, device_id) is None:
            raise Conflict(_("Device {device_id} has no credit in the pool to adjust.").format(device_id=device_id))
        await ensure_not_allocated(session, device_id)
        category = await _category_of(session, device_id)
    return await append(
        session,
        actor,
        EntryKind.adjustment,
        amount_cents,
        device_id=device_id,
        category=category,
        reason=reason.strip(),
        company_id=company_id,
    )


async def _category_of(session: AsyncSession, device_id: int) -> str:
    from service.device_models.models import DeviceModel

    stmt = sa.select(DeviceModel.category).join(Device, Device.model_id == DeviceModel.id).where(Device.id == device_id)
    return str((await session.execute(stmt)).scalar_one())


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    credits_cents: int
    other_cents: int
    devices: int


async def totals_by_category(
    session: AsyncSession, start: datetime | None, end: datetime | None
) -> list[CategoryTotal]:
    credit = sa.case((PoolEntry.kind == "credit", PoolEntry.amount_cents), else_=0)
    other = sa.case((PoolEntry.kind != "credit", PoolEntry.amount_cents), else_=0)
    stmt = (
        sa.select(
            PoolEntry.category,
            sa.func.sum(credit),
            sa.func.sum(other),
            sa.func.count(sa.distinct(PoolEntry.credit_device_id)),
        )
        .where(PoolEntry.category != "")
        .group_by(PoolEntry.category)
        .order_by(PoolEntry.category)
    )
    stmt = _in_period(stmt, start, end)
    return [
        CategoryTotal(c or "", int(cr or 0), int(o or 0), int(n)) for c, cr, o, n in (await session.execute(stmt)).all()
    ]


def _in_period(stmt: sa.Select, start: datetime | None, end: datetime | None) -> sa.Select:  # type: ignore[type-arg]
    if start is not None:
        stmt = stmt.where(PoolEntry.at >= start)
    if end is not None:
        stmt = stmt.where(PoolEntry.at < end)
    return stmt


async def list_entries(
    session: AsyncSession,
    *,
    start: datetime | None,
    end: datetime | None,
    kind: str | None,
    device_id: int | None,
    cursor: str | None,
    limit: int,
    company_id: int | None = None,
) -> Page[PoolEntry]:
    stmt = _in_period(select(PoolEntry), start, end)
    if company_id is not None:
        stmt = stmt.where(PoolEntry.company_id == company_id)
    if kind:
        stmt = stmt.where(PoolEntry.kind == kind)
    if device_id is not None:
        stmt = stmt.where(PoolEntry.device_id == device_id)
    rows = (await session.exec(keyset(stmt, PoolEntry.id, cursor, limit))).all()
    return page_of(list(rows), limit)
