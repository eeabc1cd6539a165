"""Queries of stock-taking: audits, their scans and missing devices, and the devices a scope expects."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.errors import NotFound
from service.i18n import gettext as _
from service.pagination import Page, decode_cursor, keyset, page_of
from service.stocktaking.models import StockAudit, StockAuditMissing, StockAuditScan
from service.stocktaking.scope import LOSABLE, NOT_EXPECTED, AuditScope, key_of

_DEVICE_COLUMNS = (
    Device.asset_tag,
    Device.serial_number,
    Device.manufacturer,
    Device.location,
    Device.status,
    DeviceModel.name.label("model_name"),  # type: ignore[attr-defined]
)


def in_scope_clause(scope: AuditScope) -> sa.ColumnElement[bool]:
    """Devices an audit of ``scope`` expects to see (the one place a new scope kind adds its rule)."""
    present = sa.and_(Device.company_id == scope.company_id, Device.status.not_in(NOT_EXPECTED))  # type: ignore[attr-defined]
    if scope.kind == "company":
        return present
    if scope.kind == "location":
        # The same comparison as AuditScope.holds (scope.key_of): trimmed, case-insensitive.
        place = sa.func.lower(sa.func.trim(Device.location)) == key_of(scope.value)
        return sa.and_(place, present)
    raise ValueError(f"unknown scope kind {scope.kind!r}")


async def get_audit(session: AsyncSession, audit_id: int, *, lock: bool = False) -> StockAudit:
    statement = select(StockAudit).where(StockAudit.id == audit_id)
    audit = (await session.exec(statement.with_for_update() if lock else statement)).first()
    if audit is None:
        raise NotFound(_("No stock-taking audit has id {id}.").format(id=audit_id))
    return audit


async def open_audit_for(session: AsyncSession, scope: AuditScope) -> StockAudit | None:
    statement = select(StockAudit).where(
        StockAudit.status == "open",
        StockAudit.company_id == scope.company_id,
        StockAudit.scope_kind == scope.kind,
        sa.func.lower(StockAudit.scope_value) == key_of(scope.value),
    )
    return (await session.exec(statement)).first()


async def list_audits(session: AsyncSession, *, status: str | None, cursor: str | None, limit: int) -> Page[StockAudit]:
    """Newest first: the audit a person looks for is usually the one just started."""
    statement = select(StockAudit)
    if status:
        statement = statement.where(StockAudit.status == status)
    after = decode_cursor(cursor)
    if after is not None:
        statement = statement.where(StockAudit.id < after)  # type: ignore[operator]
    rows = list((await session.exec(statement.order_by(StockAudit.id.desc()).limit(limit + 1))).all())  # type: ignore[union-attr]
    return page_of(rows, limit)


async def known_locations(session: AsyncSession, limit: int = 200) -> list[str]:
    statement = (
        sa.select(Device.location).where(Device.location != "").group_by(Device.location).order_by(Device.location)
    )
    return [r for (r,) in (await session.execute(statement.limit(limit))).all()]


async def scan_for(
    session: AsyncSession, audit_id: int, *, device_id: int | None, term_key: str
) -> StockAuditScan | None:
    """The earlier scan of this device, or of this same term, in the audit."""
    match = StockAuditScan.term_key == term_key
    if device_id is not None:
        match = sa.or_(match, StockAuditScan.device_id == device_id)  # type: ignore[assignment]
    statement = select(StockAuditScan).where(StockAuditScan.audit_id == audit_id, match)
    return (await session.exec(statement)).first()


def _scan_view() -> sa.Select[Any]:
    return (
        sa.select(StockAuditScan, *_DEVICE_COLUMNS)
        .outerjoin(Device, Device.id == StockAuditScan.device_id)
        .outerjoin(DeviceModel, DeviceModel.id == Device.model_id)
    )  # type: ignore[arg-type]


async def scan_view(session: AsyncSession, scan_id: int) -> sa.Row[Any]:
    row = (await session.execute(_scan_view().where(StockAuditScan.id == scan_id))).first()
    if row is None:
        raise NotFound(_("No scan has id {id}.").format(id=scan_id))
    return row


async def list_scans(
    session: AsyncSession,
    audit_id: int,
    *,
    outcome: str | None = None,
    cursor: str | None,
    limit: int,
    newest_first: bool = False,
) -> Page[sa.Row[Any]]:
    """Scans with their devices. The scan page reads newest first (the last scan on top); the API and the CSV
    read in scan order."""
    statement = _scan_view().where(StockAuditScan.audit_id == audit_id)
    if outcome:
        statement = statement.where(StockAuditScan.outcome == outcome)
    if newest_first:
        after = decode_cursor(cursor)
        if after is not None:
            statement = statement.where(StockAuditScan.id < after)  # type: ignore[operator]
        statement = statement.order_by(StockAuditScan.id.desc()).limit(limit + 1)  # type: ignore[union-attr]
    else:
        statement = keyset(statement, StockAuditScan.id, cursor, limit)
    rows = list((await session.execute(statement)).all())
    return page_of(rows, limit, id_of=lambda row: row.StockAuditScan.id)


async def scan_counts(session: AsyncSession, audit_id: int) -> dict[str, int]:
    """Scans per outcome, with misplaced devices already moved here counted apart as ``moved``."""
    moved = sa.case((StockAuditScan.moved_at.is_not(None), "moved"), else_=StockAuditScan.outcome)  # type: ignore[union-attr]
    statement = sa.select(moved, sa.func.count()).where(StockAuditScan.audit_id == audit_id).group_by(moved)
    counts = {kind: 0 for kind in ("found", "misplaced", "moved", "unknown")}
    counts.update({kind: n for kind, n in (await session.execute(statement)).all()})
    return counts


async def expected_count(session: AsyncSession, scope: AuditScope) -> int:
    statement = sa.select(sa.func.count()).select_from(Device).where(in_scope_clause(scope))
    return int((await session.execute(statement)).scalar_one())


async def unscanned_expected(session: AsyncSession, audit_id: int, scope: AuditScope) -> list[sa.Row[Any]]:
    """Devices the scope expects that no scan of the audit saw (the missing ones, at the close)."""
    scanned = sa.select(StockAuditScan.device_id).where(
        StockAuditScan.audit_id == audit_id,
        StockAuditScan.device_id.is_not(None),  # type: ignore[union-attr]
    )
    statement = (
        sa.select(Device.id, Device.status, Device.location)
        .where(in_scope_clause(scope), Device.id.not_in(scanned))  # type: ignore[union-attr]
        .order_by(Device.id)
    )
    return list((await session.execute(statement)).all())


async def count_found_expected(session: AsyncSession, audit_id: int, scope: AuditScope) -> int:
    statement = (
        sa.select(sa.func.count())
        .select_from(StockAuditScan)
        .join(Device, Device.id == StockAuditScan.device_id)  # type: ignore[arg-type]
        .where(StockAuditScan.audit_id == audit_id, in_scope_clause(scope))
    )
    return int((await session.execute(statement)).scalar_one())


def _missing_view() -> sa.Select[Any]:
    return (
        sa.select(StockAuditMissing, *_DEVICE_COLUMNS)
        .join(Device, Device.id == StockAuditMissing.device_id)  # type: ignore[arg-type]
        .join(DeviceModel, DeviceModel.id == Device.model_id)  # type: ignore[arg-type]
    )


async def list_missing(session: AsyncSession, audit_id: int, *, cursor: str | None, limit: int) -> Page[sa.Row[Any]]:
    statement = keyset(
        _missing_view().where(StockAuditMissing.audit_id == audit_id), StockAuditMissing.id, cursor, limit
    )
    rows = list((await session.execute(statement)).all())
    return page_of(rows, limit, id_of=lambda row: row.StockAuditMissing.id)


async def missing_rows(session: AsyncSession, audit_id: int, device_ids: list[int]) -> list[StockAuditMissing]:
    statement = select(StockAuditMissing).where(
        StockAuditMissing.audit_id == audit_id,
        StockAuditMissing.device_id.in_(device_ids),  # type: ignore[attr-defined]
    )
    return list((await session.exec(statement.order_by(StockAuditMissing.id))).all())


async def lost_candidates(session: AsyncSession, audit_id: int) -> list[int]:
    """Missing devices not yet reported lost whose status the lifecycle lets be reported lost."""
    statement = (
        sa.select(StockAuditMissing.device_id)
        .join(Device, Device.id == StockAuditMissing.device_id)  # type: ignore[arg-type]
        .where(
            StockAuditMissing.audit_id == audit_id,
            StockAuditMissing.lost_at.is_(None),  # type: ignore[union-attr]
            Device.status.in_(LOSABLE),  # type: ignore[attr-defined]
        )
        .order_by(StockAuditMissing.id)
    )
    return [int(i) for (i,) in (await session.execute(statement)).all()]


async def device_statuses(session: AsyncSession, device_ids: list[int]) -> dict[int, str]:
    statement = sa.select(Device.id, Device.status).where(Device.id.in_(device_ids))  # type: ignore[union-attr]
    return {int(i): s for i, s in (await session.execute(statement)).all()}
