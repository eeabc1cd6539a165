"""Employees: the people who hold devices."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.companies import service as companies
from service.companies.scope import scoped
from service.context import Actor
from service.editing import apply_changes, expect_version, patch_changes
from service.employees.models import Employee
from service.employees.schemas import EmployeeCreate, EmployeeUpdate
from service.errors import Conflict, NotFound
from service.i18n import _
from service.pagination import Page, keyset, page_of


async def _ensure_email_free(session: AsyncSession, email: str, except_id: int | None = None) -> None:
    stmt = select(Employee.id).where(sa.func.lower(Employee.email) == email.lower())
    if except_id is not None:
        stmt = stmt.where(Employee.id != except_id)
    with scoped(None):  # an e-mail address is unique across every company, seen or not
        taken = (await session.exec(stmt)).first() is not None
    if taken:
        raise Conflict(
            _("An employee with email {email} already exists.").format(email=email),
            errors=[{"field": "email", "message": _("is already used by another employee")}],
        )


async def create_employee(session: AsyncSession, actor: Actor, data: EmployeeCreate) -> Employee:
    email = str(data.email).lower()
    company_id = await companies.company_for_new(session, data.company_id)
    await _ensure_email_free(session, email)
    employee = Employee(
        name=data.name, email=email, department=data.department, active=data.active, company_id=company_id
    )
    session.add(employee)
    await session.flush()
    await audit.record(session, actor, "employee.create", "employee", employee.id, after=audit.snapshot(employee))
    return employee


async def update_employee(session: AsyncSession, actor: Actor, employee_id: int, data: EmployeeUpdate) -> Employee:
    employee = await get_employee(session, employee_id)
    expect_version(employee, data.version, "employee")
    changes = patch_changes(data, Employee)
    if changes.get("email"):
        changes["email"] = str(changes["email"]).lower()
        await _ensure_email_free(session, changes["email"], except_id=employee_id)
    before, after = apply_changes(employee, changes)
    await session.flush()
    if after:
        await audit.record(session, actor, "employee.update", "employee", employee.id, before=before, after=after)
    return employee


async def get_employee(session: AsyncSession, employee_id: int) -> Employee:
    employee = await session.get(Employee, employee_id)
    if employee is None:
        raise NotFound(_("No employee has id {employee_id}.").format(employee_id=employee_id))
    return employee


async def list_employees(
    session: AsyncSession,
    *,
    q: str | None = None,
    active: bool | None = None,
    company_id: int | None = None,
    cursor: str | None,
    limit: int,
) -> Page[Employee]:
    stmt = select(Employee)
    if company_id is not None:
        stmt = stmt.where(Employee.company_id == company_id)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(Employee.name).like(like), sa.func.lower(Employee.email).like(like)))
    if active is not None:
        stmt = stmt.where(Employee.active == active)
    rows = (await session.exec(keyset(stmt, Employee.id, cursor, limit))).all()
    return page_of(list(rows), limit)
