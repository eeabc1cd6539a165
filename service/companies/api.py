from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import JSONBody

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.charities.rules import format_percent
from service.charities.schemas import ShareOut, SharesUpdate
from service.companies import service, shares
from service.companies.models import Company
from service.companies.schemas import CompanyCreate, CompanyOut, CompanyPage, CompanySharesOut, CompanyUpdate
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit, created


def company_out(company: Company) -> CompanyOut:
    return CompanyOut.model_validate(company, from_attributes=True)


async def shares_out(session: DbSession, company_id: int) -> CompanySharesOut:
    allocation, active = await shares.allocation_of(session, company_id)
    problem = allocation.problem(active)
    return CompanySharesOut(
        company_id=company_id,
        own=allocation.own,
        items=[
            ShareOut(charity_id=c.id, name=c.name, active=True, share=format_percent(allocation.shares_bp.get(c.id, 0)))  # type: ignore[arg-type]
            for c in active
        ],
        total_active=format_percent(sum(allocation.shares_bp.get(c.id or 0, 0) for c in active)),
        ready=problem is None,
        problem=problem,
    )


class CompanyController(Controller):
    path = "/api/v1/companies"
    tags = ["companies"]
    guards = [requires(Permission.read_registry)]

    @get("/", summary="The companies you may see (a company-scoped user sees only its own)")
    async def list_companies(
        self,
        session: DbSession,
        active: bool | None = None,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> CompanyPage:
        page = await service.list_companies(session, active=active, cursor=cursor, limit=limit)
        return CompanyPage(items=[company_out(c) for c in page.items], next_cursor=page.next_cursor)

    @post("/", guards=[requires(Permission.administer)])
    async def create_company(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: JSONBody[CompanyCreate]
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            company = await service.create_company(session, actor, data)
            return 201, company_out(company).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{company_id:int}")
    async def get_company(self, session: DbSession, company_id: int) -> CompanyOut:
        return company_out(await service.get_company(session, company_id))

    @patch("/{company_id:int}", guards=[requires(Permission.administer)])
    async def update_company(
        self, session: DbSession, actor: CurrentActor, company_id: int, data: JSONBody[CompanyUpdate]
    ) -> CompanyOut:
        return company_out(await service.update_company(session, actor, company_id, data))

    @get(
        "/{company_id:int}/shares",
        guards=[requires(Permission.read_ledger)],
        summary="The shares this company's pool donates by",
    )
    async def get_shares(self, session: DbSession, company_id: int) -> CompanySharesOut:
        return await shares_out(session, company_id)

    @put(
        "/{company_id:int}/shares",
        guards=[requires(Permission.administer)],
        summary="Give the company its own shares (every active charity, together 100 %)",
    )
    async def set_shares(
        self, session: DbSession, actor: CurrentActor, company_id: int, data: JSONBody[SharesUpdate]
    ) -> CompanySharesOut:
        await shares.set_own_shares(session, actor, company_id, data.shares)
        return await shares_out(session, company_id)

    @delete(
        "/{company_id:int}/shares",
        guards=[requires(Permission.administer)],
        status_code=200,
        summary="Let the company donate by the organisation's shares again",
    )
    async def clear_shares(self, session: DbSession, actor: CurrentActor, company_id: int) -> CompanySharesOut:
        await shares.clear_own_shares(session, actor, company_id)
        return await shares_out(session, company_id)
