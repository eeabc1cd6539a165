"""The donation run: draft one donation per active charity from the unallocated pool credits.

Runs hold the pool lock from their first read to their commit, so two runs (or a run and a correction of a
credit) never see the same unallocated cents: the second waits, then reads what the first allocated.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.charities import service as charities
from service.charities.models import Charity
from service.companies import service as companies_service
from service.companies import shares
from service.companies.models import Company
from service.companies.shares import Allocation
from service.context import Actor
from service.db import is_postgres
from service.donations.allocation import NOTHING, Plan, Recipient, Source, allocate
from service.donations.models import Donation, DonationAllocation
from service.donations.workflow import RESERVING
from service.errors import Conflict
from service.i18n import _
from service.money import format_cents
from service.pausepoints import DONATION_DRAFTED, pause_point
from service.pool import service as pool
from service.pool.models import PoolEntry
from service.settings import Settings


@dataclass(frozen=True)
class RunResult:
    run_key: str
    donations: list[Donation]
    plan: Plan
    skipped_names: list[str]

    def counts(self) -> dict[str, Any]:
        return {
            "donations": len(self.donations),
            "donation_ids": [d.id for d in self.donations],
            "drafted": format_cents(self.plan.donated_cents),
            "waiting": format_cents(self.plan.waiting_cents),
            "below_minimum": self.skipped_names,
        }


def _active_allocations() -> Any:
    return (
        sa.select(DonationAllocation.pool_entry_id, sa.func.sum(DonationAllocation.amount_cents).label("taken"))
        .where(DonationAllocation.released_at.is_(None))  # type: ignore[union-attr]
        .group_by(DonationAllocation.pool_entry_id)
        .subquery()
    )


async def available_sources(
    session: AsyncSession, company_ids: list[int]
) -> tuple[dict[int, list[Source]], dict[int, datetime]]:
    """Per company, every credit of its pool with cents not yet allocated, oldest first; and when each was
    credited. A credit holds its device's net value (the credit and the corrections booked on that device since);
    positive pool-wide adjustments are sources of their own."""
    corrections = (
        sa.select(PoolEntry.device_id, sa.func.sum(PoolEntry.amount_cents).label("amount"))
        .where(PoolEntry.device_id.is_not(None), PoolEntry.kind != "credit")  # type: ignore[union-attr]
        .group_by(PoolEntry.device_id)
        .subquery()
    )
    taken = _active_allocations()
    left = sa.func.coalesce(taken.c.taken, 0)
    # Plain DateTime (not the UTC decorator) and a bigint: over 100k rows, per-row Python conversions add up.
    at = sa.type_coerce(PoolEntry.at, sa.DateTime(timezone=True)).label("at")
    credit_left = PoolEntry.amount_cents + sa.func.coalesce(corrections.c.amount, 0) - left
    credits = (
        sa.select(PoolEntry.id, at, sa.cast(credit_left, sa.BigInteger).label("available"), PoolEntry.company_id)
        .outerjoin(corrections, corrections.c.device_id == PoolEntry.credit_device_id)
        .outerjoin(taken, taken.c.pool_entry_id == PoolEntry.id)
        .where(PoolEntry.kind == "credit", PoolEntry.company_id.in_(company_ids))  # type: ignore[attr-defined]
    )
    adjustments = (
        sa.select(
            PoolEntry.id, at, sa.cast(PoolEntry.amount_cents - left, sa.BigInteger).label("available"),
            PoolEntry.company_id,
        )
        .outerjoin(taken, taken.c.pool_entry_id == PoolEntry.id)
        .where(PoolEntry.kind == "adjustment", PoolEntry.device_id.is_(None), PoolEntry.amount_cents > 0)  # type: ignore[union-attr]
        .where(PoolEntry.company_id.in_(company_ids))  # type: ignore[attr-defined]
    )  # fmt: skip
    both = sa.union_all(credits, adjustments).subquery()
    stmt = (
        sa.select(both.c.id, both.c.at, both.c.available, both.c.company_id)
        .where(both.c.available > 0)
        .order_by(both.c.id)
    )
    if is_postgres(session):
        # 100k rows through the driver directly: SQLAlchemy's row handling would triple the time of this read.
        # The statement holds constants only, so it compiles to plain SQL.
        sql = str(stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
        raw = await (await session.connection()).get_raw_connection()
        rows = await raw.driver_connection.fetch(sql)  # type: ignore[union-attr]
    else:
        rows = (await session.execute(stmt)).all()
    by_company: dict[int, list[Source]] = {}
    for r in rows:
        by_company.setdefault(r[3], []).append(Source(r[0], r[2]))
    return by_company, {r[0]: r[1] for r in rows}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def reserved_cents(session: AsyncSession, company_id: int | None = None) -> int:
    """Allocated to donations that are not approved yet: held back from the pool, not yet debited. One
    company's, or (without one) every company's the user may see."""
    stmt = (
        sa.select(sa.func.coalesce(sa.func.sum(DonationAllocation.amount_cents), 0))
        .join(Donation, Donation.id == DonationAllocation.donation_id)
        .where(DonationAllocation.released_at.is_(None), Donation.status.in_([s.value for s in RESERVING]))  # type: ignore[union-attr, attr-defined]
    )
    if company_id is not None:
        stmt = stmt.where(Donation.company_id == company_id)
    return int((await session.execute(stmt)).scalar_one())


async def unallocated_cents(session: AsyncSession, company_id: int | None = None) -> int:
    """What the next run can share out: the balance less what drafts and submitted donations hold."""
    return await pool.balance(session, company_id) - await reserved_cents(session, company_id)


async def _insert_allocations(session: AsyncSession, rows: list[tuple[int, int, int]]) -> None:
    """Writes (donation, credit, cents) rows."""
    if not rows:
        return
    if is_postgres(session):
        # COPY is several times faster than INSERT for a run over many thousands of credits.
        conn = await session.connection()
        raw = await conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            "donation_allocations", records=rows, columns=("donation_id", "pool_entry_id", "amount_cents")
        )
    else:
        keys = ("donation_id", "pool_entry_id", "amount_cents")
        await session.execute(sa.insert(DonationAllocation), [dict(zip(keys, row, strict=True)) for row in rows])


async def _plans(
    session: AsyncSession, active: list[Charity]
) -> tuple[list[tuple[Allocation, Plan]], dict[int, datetime]]:
    """One plan per company the user may see, each pool shared out by that company's own allocation; and when
    each source was credited."""
    companies = await companies_service.all_companies(session)
    company_ids = [c.id for c in companies if c.id is not None]
    allocations = shares.allocations(companies, await shares.own_shares(session, company_ids), active)
    sources, credited_at = await available_sources(session, company_ids)
    plans = []
    for allocation in allocations:
        company_id = allocation.company.id
        assert company_id is not None
        if not sources.get(company_id):
            continue  # nothing to share out: a company's shares only matter once its pool holds something
        cap = await unallocated_cents(session, company_id)
        problem = allocation.problem(active)
        if problem:
            raise Conflict(
                _("The donation run did not start. {company}: {problem}").format(
                    company=allocation.company.name, problem=problem
                )
            )
        recipients = [
            Recipient(c.id, allocation.shares_bp.get(c.id, 0), c.minimum_donation_cents)  # type: ignore[arg-type]
            for c in active
        ]
        plans.append((allocation, allocate(sources[company_id], recipients, cap_cents=cap)))
    return plans, credited_at


async def run_donations(session: AsyncSession, actor: Actor, settings: Settings | None = None) -> RunResult:
    """Drafts, per company, one donation per charity its allocation gives a share to, from its unallocated pool."""
    await pool.lock(session)
    active = await charities.active_charities(session)
    problem = charities.readiness(active)
    if problem:
        raise Conflict(_("The donation run did not start. {problem}").format(problem=problem))
    plans, credited_at = await _plans(session, active)
    names = {c.id: c.name for c in active}
    run_key = uuid.uuid4().hex
    donations: list[Donation] = []
    total = NOTHING
    for allocation, plan in plans:
        total = total.merged(plan)
        donations += await _draft(session, actor, settings, allocation.company, plan, names, run_key, credited_at)
    skipped = list(dict.fromkeys(names[s.charity_id] for s in total.skipped))
    return RunResult(run_key, donations, total, skipped)


async def _draft(
    session: AsyncSession,
    actor: Actor,
    settings: Settings | None,
    company: Company,
    plan: Plan,
    names: dict[int | None, str],
    run_key: str,
    credited_at: dict[int, datetime],
) -> list[Donation]:
    """The donations of one company's plan, each with its allocations and audit record."""
    donations: list[Donation] = []
    for draft in plan.drafts:
        dates = [credited_at[p.entry_id] for p in draft.portions]
        donation = Donation(
            company_id=company.id,
            charity_id=draft.charity_id,
            amount_cents=draft.amount_cents,
            run_key=run_key,
            period_from=_utc(min(dates)),
            period_to=_utc(max(dates)),
            created_by=actor.name,
        )
        session.add(donation)
        await session.flush()
        donation_id = donation.id
        assert donation_id is not None
        await _insert_allocations(session, [(donation_id, p.entry_id, p.cents) for p in draft.portions])
        await audit.record(
            session,
            actor,
            "donation.draft",
            "donation",
            donation.id,
            after={
                "status": "draft",
                "company": company.name,
                "charity": names[draft.charity_id],
                "amount_cents": draft.amount_cents,
                "credits": len(draft.portions),
                "first_entry_id": draft.portions[0].entry_id,
                "last_entry_id": draft.portions[-1].entry_id,
                "run_key": run_key,
            },
        )
        donations.append(donation)
        if settings is not None:
            await pause_point(settings, DONATION_DRAFTED)
    return donations
