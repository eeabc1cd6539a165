"""Each company's allocation: its own charity shares, or (without any) the organisation's.

A company's pool donates separately (issue 14), so a legal entity may favour other charities than the rest of
the organisation. Its own shares follow the organisation's rules (service/charities/rules.py): one per active
charity, together 100 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.charities import service as charities
from service.charities.models import Charity
from service.charities.rules import format_percent, shares_problem
from service.charities.schemas import ShareItem
from service.companies.models import Company, CompanyShare
from service.companies.service import get_company
from service.context import Actor


@dataclass(frozen=True)
class Allocation:
    """The shares a company's pool donates by (basis points by charity id), and where they come from."""

    company: Company
    own: bool
    shares_bp: dict[int, int]

    def problem(self, active: list[Charity]) -> str | None:
        """Why a run cannot share out this company's pool over the active charities, or None."""
        return shares_problem({c.name: self.shares_bp.get(c.id or 0, 0) for c in active})


async def own_shares(session: AsyncSession, company_ids: list[int]) -> dict[int, dict[int, int]]:
    """The companies' own shares (company id -> charity id -> basis points); a company without any is absent."""
    if not company_ids:
        return {}
    stmt = sa.select(CompanyShare.company_id, CompanyShare.charity_id, CompanyShare.share_bp).where(
        CompanyShare.company_id.in_(company_ids)  # type: ignore[attr-defined]
    )
    out: dict[int, dict[int, int]] = {}
    for company_id, charity_id, bp in (await session.execute(stmt)).all():
        out.setdefault(company_id, {})[charity_id] = bp
    return out


def allocations(companies: list[Company], own: dict[int, dict[int, int]], active: list[Charity]) -> list[Allocation]:
    organisation = {c.id or 0: c.share_bp for c in active}
    return [
        Allocation(company, company.id in own, own.get(company.id or 0, organisation)) for company in companies
    ]


async def allocation_of(session: AsyncSession, company_id: int) -> tuple[Allocation, list[Charity]]:
    company = await get_company(session, company_id)
    active = await charities.active_charities(session)
    return allocations([company], await own_shares(session, [company_id]), active)[0], active


def _described(shares: dict[int, int], names: dict[int, str]) -> dict[str, str]:
    return {names.get(i, str(i)): format_percent(bp) for i, bp in sorted(shares.items())}


async def set_own_shares(session: AsyncSession, actor: Actor, company_id: int, items: list[ShareItem]) -> None:
    """Gives the company shares of its own (replacing any), validated as the organisation's are."""
    company = await get_company(session, company_id)
    all_charities, wanted = await charities.validated_shares(session, items)
    names = {c.id or 0: c.name for c in all_charities}
    before = (await own_shares(session, [company_id])).get(company_id)
    await session.execute(sa.delete(CompanyShare).where(CompanyShare.company_id == company_id))  # type: ignore[arg-type]
    session.add_all([CompanyShare(company_id=company_id, charity_id=i, share_bp=bp) for i, bp in wanted.items()])
    await session.flush()
    await audit.record(
        session, actor, "company.shares", "company", company.id,
        before={"shares": _described(before, names) if before else "organisation"},
        after={"shares": _described(wanted, names)},
    )  # fmt: skip


async def clear_own_shares(session: AsyncSession, actor: Actor, company_id: int) -> None:
    """Back to the organisation's shares; a no-op (and no audit record) when the company had none of its own."""
    company = await get_company(session, company_id)
    before = (await own_shares(session, [company_id])).get(company_id)
    if not before:
        return
    names = {c.id or 0: c.name for c in await charities.active_charities(session)}
    await session.execute(sa.delete(CompanyShare).where(CompanyShare.company_id == company_id))  # type: ignore[arg-type]
    await session.flush()
    await audit.record(
        session, actor, "company.shares", "company", company.id,
        before={"shares": _described(before, names)}, after={"shares": "organisation"},
    )  # fmt: skip
