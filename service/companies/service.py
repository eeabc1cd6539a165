"""Companies: create and edit them, and decide which company a new record belongs to."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.charities.rules import kvk_problem, rsin_problem
from service.companies.models import DEFAULT_COMPANY_ID, Company
from service.companies.schemas import CompanyCreate, CompanyUpdate
from service.companies.scope import current_scope, sees
from service.context import Actor
from service.editing import apply_changes, expect_version, patch_changes
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import _
from service.pagination import Page, keyset, page_of


def _check_numbers(changes: dict[str, Any]) -> None:
    kvk = changes.get("kvk_number")
    if kvk and (problem := kvk_problem(kvk)):
        raise InvalidInput.field("kvk_number", problem)
    rsin = changes.get("rsin")
    if rsin and (problem := rsin_problem(rsin)):
        raise InvalidInput.field("rsin", problem)


async def _ensure_name_free(session: AsyncSession, name: str, except_id: int | None = None) -> None:
    stmt = select(Company.id).where(sa.func.lower(Company.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(Company.id != except_id)
    if (await session.exec(stmt)).first() is not None:
        raise Conflict(
            _("A company named {name} already exists.").format(name=name),
            errors=[{"field": "name", "message": _("is taken")}],
        )


async def create_company(session: AsyncSession, actor: Actor, data: CompanyCreate) -> Company:
    fields = {k: v.strip() if isinstance(v, str) else v for k, v in data.model_dump().items()}
    _check_numbers(fields)
    await _ensure_name_free(session, fields["name"])
    company = Company(**fields)
    session.add(company)
    await session.flush()
    await audit.record(session, actor, "company.create", "company", company.id, after=audit.snapshot(company))
    return company


async def update_company(session: AsyncSession, actor: Actor, company_id: int, data: CompanyUpdate) -> Company:
    company = await get_company(session, company_id)
    expect_version(company, data.version, "company")
    changes = {k: v.strip() if isinstance(v, str) else v for k, v in patch_changes(data, Company).items()}
    _check_numbers(changes)
    if changes.get("name"):
        await _ensure_name_free(session, changes["name"], except_id=company_id)
    if changes.get("active") is False and company_id == DEFAULT_COMPANY_ID:
        raise Conflict(_("The default company cannot be deactivated: records without a company land there."))
    before, after = apply_changes(company, changes)
    await session.flush()
    if after:
        await audit.record(session, actor, "company.update", "company", company.id, before=before, after=after)
    return company


async def get_company(session: AsyncSession, company_id: int) -> Company:
    """A company the current user may see (another company's is as absent as one that does not exist)."""
    company = await session.get(Company, company_id)
    if company is None or not sees(company_id):
        raise NotFound(_("No company has id {id}.").format(id=company_id))
    return company


def _visible() -> Any:
    """Companies are not company-owned rows, so the scope's loader criteria skip them: filtered here."""
    stmt = select(Company)
    if (ids := current_scope()) is not None:
        stmt = stmt.where(Company.id.in_(ids))  # type: ignore[union-attr]
    return stmt


async def list_companies(
    session: AsyncSession, *, active: bool | None = None, cursor: str | None = None, limit: int = 200
) -> Page[Company]:
    stmt = _visible()
    if active is not None:
        stmt = stmt.where(Company.active == active)
    rows = (await session.exec(keyset(stmt, Company.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def all_companies(session: AsyncSession) -> list[Company]:
    """Every company the user may see, active or not (an inactive company's pool still donates what it holds)."""
    return list((await session.exec(_visible().order_by(Company.id))).all())  # type: ignore[arg-type]


async def active_companies(session: AsyncSession, seen: list[Company] | None = None) -> list[Company]:
    """The active companies the user may see, by name: what a form offers to put a new record in. ``seen``: what
    :func:`all_companies` already gave this request, so a page that has it does not fetch it again."""
    found = [c for c in (await all_companies(session) if seen is None else seen) if c.active]
    return sorted(found, key=lambda c: (c.name.lower(), c.id or 0))


def preselected_company(choices: list[Company]) -> int | None:
    """The company a form preselects, as :func:`company_for_new` would pick it when none is given: the user's
    only company, else the default company when offered; None when the user must choose."""
    scope = current_scope()
    if scope is not None and len(scope) == 1:
        return scope[0]
    if scope is None and any(c.id == DEFAULT_COMPANY_ID for c in choices):
        return DEFAULT_COMPANY_ID
    return None


async def company_for_new(session: AsyncSession, company_id: int | None, field: str = "company_id") -> int:
    """The company a new device or employee belongs to: the one asked for, if the user may see it and it is
    active; else the user's only company; else the default company."""
    scope = current_scope()
    if company_id is None:
        if scope is not None and len(scope) == 1:
            return scope[0]
        if scope is not None:
            raise InvalidInput.field(field, _("choose one of your companies"))
        return DEFAULT_COMPANY_ID
    company = await session.get(Company, company_id)
    if company is None or not sees(company_id):
        raise InvalidInput.field(field, _("no company has id {id}").format(id=company_id))
    if not company.active:
        raise InvalidInput.field(field, _("{name} is no longer active").format(name=company.name))
    return company_id
