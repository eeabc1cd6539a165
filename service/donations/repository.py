"""Reading donations: lists scoped to the reader, their lines, approvals and yearly totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.charities.models import Charity
from service.charities.rules import people_reached
from service.context import Actor
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.donations.models import Donation, DonationAllocation, DonationApproval
from service.donations.workflow import GIVEN, VISIBLE_TO_CHARITY, DonationStatus
from service.errors import InvalidInput
from service.i18n import gettext
from service.pagination import Page, check_limit, decode_cursor, keyset, page_of
from service.pool.models import PoolEntry


def scoped(stmt: Any, actor: Actor) -> Any:
    if actor.charity_id is not None:
        stmt = stmt.where(
            Donation.charity_id == actor.charity_id,
            Donation.status.in_([s.value for s in VISIBLE_TO_CHARITY]),  # type: ignore[attr-defined]
        )
    return stmt


async def list_donations(
    session: AsyncSession,
    actor: Actor,
    *,
    statuses: list[str] | None,
    charity_id: int | None,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
    company_id: int | None = None,
) -> Page[Donation]:
    for status in statuses or []:
        if status not in DonationStatus.__members__:
            raise InvalidInput.field(
                "status", gettext("use one of {choices}").format(choices=", ".join(DonationStatus.__members__))
            )
    stmt = scoped(select(Donation), actor)
    if statuses:
        stmt = stmt.where(Donation.status.in_(statuses))  # type: ignore[attr-defined]
    if charity_id is not None:
        stmt = stmt.where(Donation.charity_id == charity_id)
    if company_id is not None:
        stmt = stmt.where(Donation.company_id == company_id)
    if newest_first:  # the pages list the latest first; the API keeps the usual ascending cursor
        after = decode_cursor(cursor)
        if after is not None:
            stmt = stmt.where(Donation.id < after)  # type: ignore[operator]
        stmt = stmt.order_by(Donation.id.desc()).limit(check_limit(limit) + 1)  # type: ignore[union-attr]
    else:
        stmt = keyset(stmt, Donation.id, cursor, limit)
    rows = (await session.exec(stmt)).all()
    return page_of(list(rows), limit)


async def donations_in_order(session: AsyncSession, ids: list[int]) -> list[Donation]:
    """The donations with these ids, in the order given (one query; ids that no longer exist are left out)."""
    if not ids:
        return []
    rows = (await session.exec(select(Donation).where(Donation.id.in_(ids)))).all()  # type: ignore[union-attr]
    by_id = {d.id: d for d in rows}
    return [by_id[i] for i in ids if i in by_id]


async def charities_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Charity]:
    if not ids:
        return {}
    rows = (await session.exec(select(Charity).where(Charity.id.in_(ids)))).all()  # type: ignore[union-attr]
    return {c.id: c for c in rows}  # type: ignore[misc]


async def approvals_by_donation(session: AsyncSession, ids: list[int]) -> dict[int, list[DonationApproval]]:
    if not ids:
        return {}
    stmt = select(DonationApproval).where(DonationApproval.donation_id.in_(ids)).order_by(DonationApproval.id)  # type: ignore[attr-defined, arg-type]
    out: dict[int, list[DonationApproval]] = {}
    for approval in (await session.exec(stmt)).all():
        out.setdefault(approval.donation_id, []).append(approval)
    return out


@dataclass(frozen=True)
class Line:
    pool_entry_id: int
    device_id: int | None
    asset_tag: str | None
    serial_number: str | None
    model: str | None
    category: str | None
    amount_cents: int
    released: bool


async def lines(session: AsyncSession, donation_id: int, *, cursor: str | None, limit: int) -> Page[Line]:
    stmt = (
        sa.select(
            DonationAllocation.pool_entry_id,
            PoolEntry.credit_device_id,
            Device.asset_tag,
            Device.serial_number,
            (DeviceModel.manufacturer + " " + DeviceModel.name).label("model"),
            DeviceModel.category,
            DonationAllocation.amount_cents,
            DonationAllocation.released_at.is_not(None).label("released"),  # type: ignore[union-attr]
        )
        .join(PoolEntry, PoolEntry.id == DonationAllocation.pool_entry_id)
        .outerjoin(Device, Device.id == PoolEntry.credit_device_id)
        .outerjoin(DeviceModel, DeviceModel.id == Device.model_id)
        .where(DonationAllocation.donation_id == donation_id)
    )
    rows = (await session.execute(keyset(stmt, DonationAllocation.pool_entry_id, cursor, limit))).all()
    return page_of([Line(*r) for r in rows], limit, id_of=lambda line: line.pool_entry_id)


async def line_count(session: AsyncSession, donation_id: int) -> int:
    stmt = sa.select(sa.func.count()).where(DonationAllocation.donation_id == donation_id)
    return int((await session.execute(stmt)).scalar_one())


@dataclass(frozen=True)
class YearTotal:
    charity: Charity
    donations: int
    amount_cents: int

    @property
    def people_reached(self) -> int | None:
        return people_reached(self.amount_cents, self.charity.cost_per_device_cents)


async def year_totals(session: AsyncSession, actor: Actor, year: int, tz: ZoneInfo) -> list[YearTotal]:
    """Donations given in a calendar year (by approval date, in the installation's time zone), per charity."""
    if not 2000 <= year <= 2200:
        raise InvalidInput.field("year", gettext("give a year such as {year}").format(year=2026))
    start = datetime.combine(datetime(year, 1, 1).date(), time.min, tz)
    end = datetime.combine(datetime(year + 1, 1, 1).date(), time.min, tz)
    stmt = (
        sa.select(Donation.charity_id, sa.func.count(), sa.func.sum(Donation.amount_cents))
        .where(
            Donation.status.in_(sorted(GIVEN)),  # type: ignore[attr-defined]
            Donation.approved_at >= start,  # type: ignore[operator]
            Donation.approved_at < end,  # type: ignore[operator]
        )
        .group_by(Donation.charity_id)
    )
    if actor.charity_id is not None:
        stmt = stmt.where(Donation.charity_id == actor.charity_id)
    rows = (await session.execute(stmt)).all()
    charities = await charities_by_id(session, {r[0] for r in rows})
    totals = [YearTotal(charities[c], int(n), int(s or 0)) for c, n, s in rows]
    return sorted(totals, key=lambda t: t.charity.name)


async def years_with_donations(session: AsyncSession, actor: Actor, tz: ZoneInfo) -> list[int]:
    stmt = scoped(sa.select(Donation.approved_at).where(Donation.approved_at.is_not(None)), actor)  # type: ignore[union-attr]
    return sorted({at.astimezone(tz).year for (at,) in (await session.execute(stmt)).all()}, reverse=True)
