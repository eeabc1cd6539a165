"""Read queries for employees that pages need beyond the paged list (service.list_employees)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.employees.models import Employee

# A select of people to hand a device to stays usable up to this many; past it the page would need a search.
SELECT_MOST = 20_000


async def active_for_select(
    session: AsyncSession, most: int = SELECT_MOST, *, company_id: int | None = None
) -> list[Employee]:
    """Active employees by name, for a select (only ``company_id``'s: a device goes to someone of its own company);
    the first `most` by id when there are more (one query)."""
    stmt = select(Employee).where(Employee.active == True)  # noqa: E712
    if company_id is not None:
        stmt = stmt.where(Employee.company_id == company_id)
    stmt = stmt.order_by(Employee.id).limit(most)  # type: ignore[arg-type]
    people = list((await session.exec(stmt)).all())
    # Sorted here, not in SQL: PostgreSQL's collation and SQLite's lower() would order names differently.
    return sorted(people, key=lambda e: (e.name.lower(), e.id or 0))


async def names_by_id(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(Employee.id, Employee.name).where(Employee.id.in_(ids)))  # type: ignore[union-attr]
    return {i: name for i, name in rows.all()}
