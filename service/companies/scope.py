"""Company scope: what a company-scoped user's request may see, enforced under every query it runs.

A scoped user's request carries the ids of its companies (a context variable, so every session it opens and
every task it starts has them). Every ORM statement it runs (``select(Device)``,
``session.get``, ``sa.select(Device.id)``, ORM updates and deletes) gets the scope added as loader criteria, so a
query that forgets the company still finds nothing of another company: a detail route answers 404 and a list
leaks nothing. Core statements over plain tables (the device views, which skip the ORM for speed) and read-only
connections see no ORM events; their repositories add the scope with :func:`restrict`.

A user with no companies (admins, finance of the whole organisation), a job and a CLI command are unscoped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, orm

from service.companies.models import CompanyShare
from service.compensation.models import CompensationObligation
from service.custom_fields.models import DeviceFieldValue
from service.devices.models import Device, DeviceEvent
from service.donations.models import Donation, DonationAllocation, DonationApproval
from service.employees.models import Employee
from service.faults.models import Fault, Repair
from service.imports.models import ImportRun
from service.pool.models import PoolEntry
from service.statements.models import Delivery, Statement
from service.stocktaking.models import StockAudit
from service.valuation.models import Disposition, Valuation
from service.wipes.models import NoMediaAttestation, OverdueWipe, StorageMedium, WipeCertificate, WipeDocument

CompanyIds = tuple[int, ...]

# The scope of the request (or background task) running now: set once the user is known, copied into any task it
# starts. Jobs and CLI commands never set it.
_scope: ContextVar[CompanyIds | None] = ContextVar("company_scope", default=None)

# Tables with a company of their own, and tables that belong to a device or a donation and so to its company.
_OWNED = (Device, Employee, PoolEntry, Donation, StockAudit, CompanyShare)
_OF_DEVICE = (
    DeviceEvent,
    Fault,
    Repair,
    Valuation,
    Disposition,
    StorageMedium,
    WipeCertificate,
    WipeDocument,
    NoMediaAttestation,
    OverdueWipe,
    CompensationObligation,
    DeviceFieldValue,
)
_OF_DONATION = (DonationAllocation, DonationApproval, Statement, Delivery)
_DEVICES: sa.Table = Device.__table__  # type: ignore[attr-defined]
_DONATIONS: sa.Table = Donation.__table__  # type: ignore[attr-defined]
_OWNED_TABLES = frozenset(m.__table__ for m in (*_OWNED, ImportRun))  # type: ignore[attr-defined]
_OF_DEVICE_TABLES = frozenset(m.__table__ for m in _OF_DEVICE)  # type: ignore[attr-defined]
_OF_DONATION_TABLES = frozenset(m.__table__ for m in _OF_DONATION)  # type: ignore[attr-defined]


def set_scope(company_ids: Sequence[int] | None) -> Token[CompanyIds | None]:
    """Scopes what runs from here on in this task (and the tasks it starts) to these companies; None: unscoped."""
    return _scope.set(None if company_ids is None else tuple(sorted(company_ids)))


def reset_scope(token: Token[CompanyIds | None]) -> None:
    _scope.reset(token)


@contextmanager
def scoped(company_ids: Sequence[int] | None) -> Iterator[None]:
    token = set_scope(company_ids)
    try:
        yield
    finally:
        reset_scope(token)


def current_scope() -> CompanyIds | None:
    """The companies the running request may see, or None when it sees them all."""
    return _scope.get()


def restrict(stmt: Any, company_column: Any) -> Any:
    """``stmt`` limited to the current scope: for Core statements and read-only connections, which the loader
    criteria below never reach."""
    ids = _scope.get()
    return stmt if ids is None else stmt.where(company_column.in_(ids))


def sees(company_id: int | None) -> bool:
    ids = _scope.get()
    return ids is None or company_id in ids


def _criteria(ids: CompanyIds) -> list[Any]:
    options: list[Any] = [
        orm.with_loader_criteria(entity, lambda cls: cls.company_id.in_(ids), include_aliases=True) for entity in _OWNED
    ]
    options += [
        orm.with_loader_criteria(
            entity,
            lambda cls: cls.device_id.in_(sa.select(Device.id).where(Device.company_id.in_(ids))),
            include_aliases=True,
        )
        for entity in _OF_DEVICE
    ]
    options += [
        orm.with_loader_criteria(
            entity,
            lambda cls: cls.donation_id.in_(sa.select(Donation.id).where(Donation.company_id.in_(ids))),
            include_aliases=True,
        )
        for entity in _OF_DONATION
    ]
    # An import run of a scoped user is its company's; an unscoped user's file (company None) is nobody's to see.
    options.append(orm.with_loader_criteria(ImportRun, lambda cls: cls.company_id.in_(ids), include_aliases=True))
    return options


def _joined_tables(from_: Any, nullable: bool = False) -> Iterator[tuple[Any, sa.Table, bool]]:
    """The tables (or table aliases) a FROM element joins, each with its table and whether an outer join may
    leave it NULL. Subqueries are not entered: a condition on their inner tables does not belong out here."""
    if isinstance(from_, sa.Join):
        yield from _joined_tables(from_.left, nullable)
        yield from _joined_tables(from_.right, nullable or from_.isouter)
    elif isinstance(from_, sa.Table):
        yield from_, from_, nullable
    elif isinstance(from_, sa.Alias) and isinstance(from_.element, sa.Table):
        yield from_, from_.element, nullable


def _core_criteria(stmt: Any, ids: CompanyIds) -> Any:
    """``stmt`` (a Core select over plain tables, which loader criteria never reach) limited to the scope: each
    company-owned table it reads from is filtered on its company, or through its device or donation. A table an
    outer join may leave NULL is left alone, so the rows it would extend are not dropped."""
    devices = sa.select(_DEVICES.c.id).where(_DEVICES.c.company_id.in_(ids))
    donations = sa.select(_DONATIONS.c.id).where(_DONATIONS.c.company_id.in_(ids))
    for from_ in stmt.get_final_froms():
        for table, base, nullable in _joined_tables(from_):
            if nullable:
                continue
            if base in _OWNED_TABLES:
                stmt = stmt.where(table.c.company_id.in_(ids))
            elif base in _OF_DEVICE_TABLES:
                stmt = stmt.where(table.c.device_id.in_(devices))
            elif base in _OF_DONATION_TABLES:
                stmt = stmt.where(table.c.donation_id.in_(donations))
    return stmt


@event.listens_for(orm.Session, "do_orm_execute")
def _scope_statement(state: orm.ORMExecuteState) -> None:
    ids = _scope.get()
    if ids is None or state.is_column_load:
        return
    if state.is_select and not state.is_orm_statement:
        state.statement = _core_criteria(state.statement, ids)
    elif state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(*_criteria(ids))
