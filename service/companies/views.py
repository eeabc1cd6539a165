"""The admin's company pages: the list, a company's form (add or change), deactivating one, and its shares.

Company-scoped users never reach them (the administer guard answers 404 for them): a company is organisation-wide.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.charities.rules import format_percent
from service.charities.views import share_items
from service.companies import service, shares
from service.companies.models import DEFAULT_COMPANY_ID, Company
from service.companies.schemas import CompanyCreate, CompanyUpdate
from service.web.deps import CurrentActor, DbSession
from service.web.forms import Refused, cleaned, submit_form

_ADMIN = [requires(Permission.administer)]
FIELDS = ("name", "legal_name", "address", "kvk_number", "rsin")


def _page(template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(template, status_code=status_code, context=context, media_type=MediaType.HTML)


async def _list_page(
    session: AsyncSession,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    editing: Company | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Template:
    companies = await service.all_companies(session)
    own = await shares.own_shares(session, [c.id for c in companies if c.id is not None])
    return _page(
        "companies/list.html",
        status_code,
        companies=companies,
        own_shares=set(own),
        default_id=DEFAULT_COMPANY_ID,
        form=form or {},
        errors=errors or {},
        editing=editing,
        done=done,
    )


def _stored(company: Company) -> dict[str, str]:
    """The form as the company stands now, to change it from."""
    return {k: getattr(company, k) for k in FIELDS} | {"version": str(company.version)}



def _errors(refused: Refused) -> dict[str, str]:
    # A problem of no field shown on the page (a stale or missing version) is said above the form.
    errors = {k: v for k, v in refused.errors.items() if k in FIELDS}
    if len(errors) < len(refused.errors):
        errors["form"] = refused.message
    return errors


@get("/admin/companies", guards=_ADMIN, include_in_schema=False)
async def companies_page(session: DbSession, done: str | None = None) -> Template:
    return await _list_page(session, done=done)


@post("/admin/companies", guards=_ADMIN, include_in_schema=False)
async def add_company(session: DbSession, actor: CurrentActor, data: URLEncodedBody[dict[str, str]]) -> Any:
    form = cleaned(data)

    async def create() -> Company:
        body = CompanyCreate.model_validate({k: form.get(k, "") for k in FIELDS})
        return await service.create_company(session, actor, body)

    async def show(refused: Refused) -> Template:
        return await _list_page(session, form=form, errors=_errors(refused), status_code=refused.status_code)

    return await submit_form(
        session, create, form_id="company", form=form, show=show, done="/admin/companies?done=added",
        default_field="form",
    )  # fmt: skip


@get("/admin/companies/{company_id:int}", guards=_ADMIN, include_in_schema=False)
async def company_page(session: DbSession, company_id: int) -> Template:
    company = await service.get_company(session, company_id)
    return await _list_page(session, form=_stored(company), editing=company)


@post("/admin/companies/{company_id:int}", guards=_ADMIN, include_in_schema=False)
async def change_company(
    session: DbSession, actor: CurrentActor, company_id: int, data: URLEncodedBody[dict[str, str]]
) -> Any:
    await service.get_company(session, company_id)  # 404 before reading the form
    form = cleaned(data)

    async def update() -> Company:
        body = {k: form.get(k, "") for k in FIELDS} | {"version": form.get("version", "")}
        return await service.update_company(session, actor, company_id, CompanyUpdate.model_validate(body))

    async def show(refused: Refused) -> Template:
        company = await service.get_company(session, company_id)
        return await _list_page(
            session, form=form, errors=_errors(refused), editing=company, status_code=refused.status_code
        )

    return await submit_form(
        session, update, form_id="company", form=form, show=show, done="/admin/companies?done=changed",
        default_field="form",
    )  # fmt: skip


@post("/admin/companies/{company_id:int}/active", guards=_ADMIN, include_in_schema=False)
async def set_company_active(
    session: DbSession, actor: CurrentActor, company_id: int, data: URLEncodedBody[dict[str, str]]
) -> Any:
    """Deactivates (or activates again) a company: an inactive one takes no new devices or employees."""
    await service.get_company(session, company_id)  # 404 before reading the form
    form = cleaned(data)
    active = form.get("active") == "true"

    async def toggle() -> Company:
        body = CompanyUpdate.model_validate({"version": form.get("version", ""), "active": active})
        return await service.update_company(session, actor, company_id, body)

    async def show(refused: Refused) -> Template:
        current = await service.get_company(session, company_id)
        return await _list_page(
            session, form=_stored(current), errors={"form": refused.message}, editing=current,
            status_code=refused.status_code,
        )  # fmt: skip

    done = "/admin/companies?done=" + ("activated" if active else "deactivated")
    return await submit_form(session, toggle, form_id="active", form=form, show=show, done=done)


# ------------------------------------------------------------------------------------------------------ shares


async def _shares_page(
    session: AsyncSession,
    company_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    allocation, active = await shares.allocation_of(session, company_id)
    items = [
        {"charity_id": c.id, "name": c.name, "share": format_percent(allocation.shares_bp.get(c.id or 0, 0))}
        for c in active
    ]
    return _page(
        "companies/shares.html",
        status_code,
        company=allocation.company,
        own=allocation.own,
        items=items,
        problem=allocation.problem(active),
        form=form or {},
        errors=errors or {},
    )


@get("/admin/companies/{company_id:int}/shares", guards=_ADMIN, include_in_schema=False)
async def company_shares_page(session: DbSession, company_id: int) -> Template:
    return await _shares_page(session, company_id)


@post("/admin/companies/{company_id:int}/shares", guards=_ADMIN, include_in_schema=False)
async def set_company_shares(
    session: DbSession, actor: CurrentActor, company_id: int, data: URLEncodedBody[dict[str, str]]
) -> Any:
    _allocation, active = await shares.allocation_of(session, company_id)
    form, items, errors = share_items(data, active)

    async def show(refused: Refused) -> Template:
        # What the service refuses is about the shares together (they do not add up): said above the list.
        problems = refused.errors if refused.cause is None else {"form": refused.message}
        return await _shares_page(session, company_id, form=form, errors=problems, status_code=422)

    if errors:
        return await show(Refused("shares", form, errors))

    async def save() -> None:
        await shares.set_own_shares(session, actor, company_id, items)

    return await submit_form(
        session, save, form_id="shares", form=form, show=show, done="/admin/companies?done=shares"
    )


@post("/admin/companies/{company_id:int}/shares/organisation", guards=_ADMIN, include_in_schema=False)
async def use_organisation_shares(session: DbSession, actor: CurrentActor, company_id: int) -> Any:
    async def clear() -> None:
        await shares.clear_own_shares(session, actor, company_id)

    async def show(refused: Refused) -> Template:
        return await _shares_page(
            session, company_id, errors={"form": refused.message}, status_code=refused.status_code
        )

    return await submit_form(
        session, clear, form_id="shares", form={}, show=show, done="/admin/companies?done=shares"
    )


COMPANY_VIEW_HANDLERS: list[Any] = [
    companies_page,
    add_company,
    company_page,
    change_company,
    set_company_active,
    company_shares_page,
    set_company_shares,
    use_organisation_shares,
]
