"""Read queries for devices: one round trip per page or device, joined with model and holder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.companies.models import Company
from service.companies.scope import restrict, sees
from service.custom_fields import repository as custom_fields_repo
from service.custom_fields.models import DeviceFieldValue
from service.custom_fields.rules import BadValue, FieldDef, FieldFilter, parse_filters, values_json
from service.device_models.models import DeviceModel
from service.devices.models import STATUSES, Device, DeviceEvent
from service.employees.models import Employee
from service.errors import InvalidInput, NotFound
from service.i18n import _, gettext
from service.pagination import Page, check_limit, decode_cursor, decode_position, encode_position, keyset, page_of

_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_employees: sa.Table = Employee.__table__  # type: ignore[attr-defined]
_field_values: sa.Table = DeviceFieldValue.__table__  # type: ignore[attr-defined]
_companies: sa.Table = Company.__table__  # type: ignore[attr-defined]

# Plain table columns, so reading a view is a Core statement: no ORM compile step, no entity loading.
_VIEW_COLUMNS = (
    *_devices.columns,
    _models.c.name.label("model_name"),
    _models.c.category.label("category"),
    _employees.c.name.label("holder_name"),
)


def _joined() -> sa.FromClause:
    return _devices.join(_models, _models.c.id == _devices.c.model_id).outerjoin(
        _employees, _employees.c.id == _devices.c.holder_id
    )


def _view() -> sa.Select[Any]:
    return sa.select(*_VIEW_COLUMNS).select_from(_joined())


# Built once: SQLAlchemy memoizes its cache key on this object, so each request is a compiled-cache hit.
_DEVICE_VIEW = _view().where(_devices.c.id == sa.bindparam("device_id"))


async def device_view(db: AsyncSession | AsyncConnection, device_id: int) -> sa.Row[Any]:
    """One device with its model and holder names: the request's session, or a read-only connection."""
    row = (await db.execute(_DEVICE_VIEW, {"device_id": device_id})).first()
    if row is None or not sees(row.company_id):
        raise NotFound(gettext("No device has id {id}.").format(id=device_id))
    return row


def check_statuses(status: list[str] | None) -> None:
    """Refuses an unknown status filter before a response starts (a streamed CSV cannot turn into a 422 later)."""
    unknown = [s for s in status or () if s not in STATUSES]
    if unknown:
        raise InvalidInput.field(
            "status",
            gettext("unknown status {status}; use one of {choices}").format(
                status=repr(unknown[0]), choices=", ".join(STATUSES)
            ),
        )


def _filtered(
    stmt: sa.Select[Any],
    *,
    status: list[str] | None = None,
    holder_id: int | None = None,
    model_id: int | None = None,
    category: str | None = None,
    q: str | None = None,
    custom: list[FieldFilter] | None = None,
    after: int | None = None,
    company_id: int | None = None,
    cost_centre: str | None = None,
) -> sa.Select[Any]:
    """The list filters, shared by the JSON pages and the CSV export so both select the same devices; always within
    the companies the user may see."""
    stmt = restrict(stmt, _devices.c.company_id)
    if company_id is not None:
        stmt = stmt.where(_devices.c.company_id == company_id)
    if cost_centre is not None:
        stmt = stmt.where(_devices.c.cost_centre == cost_centre)
    for wanted in custom or ():
        stmt = stmt.where(custom_fields_repo.filter_clause(_devices.c.id, wanted, after))
    if status:
        check_statuses(status)
        stmt = stmt.where(Device.status.in_(status))  # type: ignore[attr-defined]
    if holder_id is not None:
        stmt = stmt.where(Device.holder_id == holder_id)
    if model_id is not None:
        stmt = stmt.where(Device.model_id == model_id)
    if category:
        stmt = stmt.where(DeviceModel.category == category)
    if q and q.strip():
        term = q.strip().lower()
        like = f"%{term}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Device.asset_tag).like(like),
                sa.func.lower(Device.serial_number).like(like),
                sa.func.lower(Employee.name).like(like),
                sa.func.lower(DeviceModel.name).like(like),
            )
        )
    return stmt


async def list_device_views(
    session: AsyncSession,
    *,
    status: list[str] | None = None,
    holder_id: int | None = None,
    model_id: int | None = None,
    category: str | None = None,
    q: str | None = None,
    custom: list[FieldFilter] | None = None,
    company_id: int | None = None,
    cost_centre: str | None = None,
    sort: SortBy | None = None,
    cursor: str | None,
    limit: int,
) -> Page[sa.Row[Any]]:
    after = decode_cursor(cursor) if custom and sort is None else None
    stmt = _filtered(
        _view(), status=status, holder_id=holder_id, model_id=model_id, category=category, q=q, custom=custom,
        after=after, company_id=company_id, cost_centre=cost_centre,
    )  # fmt: skip
    if sort is not None:
        return await _sorted_page(session, stmt, sort, cursor, limit)
    rows = (await session.execute(keyset(stmt, Device.id, cursor, limit))).all()
    return page_of(list(rows), limit)


@dataclass(frozen=True)
class SortBy:
    """A list sorted by one custom field's value (devices without one last), then by id; ``descending`` reverses
    both but keeps the devices without a value last."""

    field: FieldDef
    descending: bool = False


async def sort_of(db: AsyncSession | AsyncConnection, sort: str | None) -> SortBy | None:
    if sort is None or sort.strip() in ("", "id"):
        return None
    return parse_sort(sort, await custom_fields_repo.definitions(db))


def parse_sort(sort: str | None, fields: dict[str, FieldDef]) -> SortBy | None:
    """``cf.<key>`` or ``-cf.<key>``; None (or ``id``) is the default order by id. A 422 names a bad one."""
    if sort is None or sort.strip() in ("", "id"):
        return None
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if not key.startswith("cf.") or key[3:] not in fields:
        raise InvalidInput.field("sort", _("sort by id or by a custom field as cf.<key> (with - for descending)"))
    return SortBy(fields[key[3:]], descending)


async def _sorted_page(
    session: AsyncSession, stmt: sa.Select[Any], sort: SortBy, cursor: str | None, limit: int
) -> Page[sa.Row[Any]]:
    """Keyset over (has no value, value, id): stable and OFFSET-free like the id order."""
    values = _field_values.alias("sort_value")
    textual = sort.field.type.column == "text_value"
    column = values.c.text_folded if textual else values.c[sort.field.type.column]
    missing = sa.case((column.is_(None), 1), else_=0)
    stmt = stmt.outerjoin(values, sa.and_(values.c.device_id == _devices.c.id, values.c.field_id == sort.field.id))
    stmt = stmt.add_columns(missing.label("sort_missing"), column.label("sort_value"))
    after = decode_position(cursor, 3)
    if after is not None:
        was_missing, value, last_id = after
        if was_missing not in (0, 1) or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise _not_a_cursor()
        beyond = (lambda c, v: c < v) if sort.descending else (lambda c, v: c > v)
        if was_missing:
            stmt = stmt.where(missing == 1, beyond(_devices.c.id, last_id))
        else:
            value = _from_json(sort.field, value)
            later = sa.or_(beyond(column, value), sa.and_(column == value, beyond(_devices.c.id, last_id)))
            stmt = stmt.where(sa.or_(missing == 1, sa.and_(missing == 0, later)))
    order = (column.desc(), _devices.c.id.desc()) if sort.descending else (column, _devices.c.id)
    rows = list((await session.execute(stmt.order_by(missing, *order).limit(check_limit(limit) + 1))).all())
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    value = last.sort_value.isoformat() if isinstance(last.sort_value, date) else last.sort_value
    return Page(rows, encode_position([last.sort_missing, value, last.id]))


# The JSON type a sort value travels in, by its column (dates as ISO text); anything else is not our cursor.
_CURSOR_TYPES: dict[str, type | tuple[type, ...]] = {
    "text_value": str, "number_value": int, "date_value": str, "bool_value": bool,
}  # fmt: skip


def _not_a_cursor() -> InvalidInput:
    return InvalidInput.field("cursor", _("is not a cursor this server gave out; start again without it"))


def _from_json(field: FieldDef, value: Any) -> Any:
    """A cursor's value back in its column's type: a tampered one is a 422, never a database error."""
    column = field.type.column
    if not isinstance(value, _CURSOR_TYPES[column]) or (column == "number_value" and isinstance(value, bool)):
        raise _not_a_cursor()
    if column != "date_value":
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _not_a_cursor() from None


EXPORT_PAGE_SIZE = 1000


async def export_pages(
    engine: AsyncEngine,
    *,
    status: list[str] | None = None,
    holder_id: int | None = None,
    model_id: int | None = None,
    category: str | None = None,
    q: str | None = None,
    custom: list[FieldFilter] | None = None,
    company_id: int | None = None,
    cost_centre: str | None = None,
    custom_fields: Sequence[FieldDef] = (),
    page_size: int = EXPORT_PAGE_SIZE,
) -> AsyncIterator[list[Any]]:
    """Every matching device with its model, category, holder and company name, in id order, one keyset page at a
    time; with ``custom_fields``, each as a (device, {field id: value}) pair (one more query per page).

    Each page borrows a pooled connection only for its own query: a slow download then never pins a connection
    (the PostgreSQL pool has no overflow) nor, on SQLite, holds a transaction open across the whole file.
    Devices changed between pages appear as they are when their page is read.
    """
    stmt = _filtered(
        sa.select(*_VIEW_COLUMNS, _employees.c.email.label("holder_email"), _companies.c.name.label("company_name"))
        .select_from(_joined().join(_companies, _companies.c.id == _devices.c.company_id)),
        status=status,
        holder_id=holder_id,
        model_id=model_id,
        category=category,
        q=q,
        custom=custom,
        company_id=company_id,
        cost_centre=cost_centre,
    )
    after = 0
    while True:
        async with engine.connect() as conn:
            page = (
                await conn.execute(stmt.where(_devices.c.id > after).order_by(_devices.c.id).limit(page_size))
            ).all()
            extra = await custom_fields_repo.values_of(conn, [r.id for r in page]) if custom_fields and page else {}
        if not page:
            return
        yield [(r, extra.get(r.id, {})) for r in page] if custom_fields else list(page)
        if len(page) < page_size:
            return
        after = page[-1].id


async def export_fields(engine: AsyncEngine) -> list[FieldDef]:
    """The custom fields an export writes a column for, in name order."""
    async with engine.connect() as conn:
        return list((await custom_fields_repo.definitions(conn)).values())


async def count_devices(engine: AsyncEngine, **filters: Any) -> int:
    """How many devices :func:`export_pages` would give with the same filters."""
    stmt = _filtered(sa.select(sa.func.count()).select_from(_joined()), **filters)
    async with engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


async def custom_filters(db: AsyncSession | AsyncConnection, params: dict[str, str]) -> list[FieldFilter]:
    """The ``cf.`` parameters of a list request, checked against the fields defined (a 422 naming the parameter)."""
    if not any(name.startswith("cf.") for name in params):
        return []
    try:
        return parse_filters(params, await custom_fields_repo.definitions(db))
    except BadValue as exc:
        name, _colon, message = str(exc).partition(": ")
        raise InvalidInput.field(name, message) from None


async def custom_values(db: AsyncSession | AsyncConnection, device_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each device's custom field values by key, for a page of devices: two small queries, whatever the page."""
    stored = await custom_fields_repo.values_of(db, device_ids)
    if not stored:
        return {}
    fields = await custom_fields_repo.definitions(db)
    return {device_id: values_json(fields, values) for device_id, values in stored.items()}


async def list_events(session: AsyncSession, device_id: int, *, cursor: str | None, limit: int) -> Page[DeviceEvent]:
    if await session.get(Device, device_id) is None:
        raise NotFound(gettext("No device has id {id}.").format(id=device_id))
    stmt = select(DeviceEvent).where(DeviceEvent.device_id == device_id)
    rows = (await session.exec(keyset(stmt, DeviceEvent.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def events_of(session: AsyncSession, device_id: int) -> list[DeviceEvent]:
    """A device's whole history, oldest first (the device page shows it whole)."""
    stmt = select(DeviceEvent).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.id)  # type: ignore[arg-type]
    return list((await session.exec(stmt)).all())


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    rows = (await session.execute(sa.select(Device.status, sa.func.count()).group_by(Device.status))).all()
    return {status: n for status, n in rows}


async def find_device_id(session: AsyncSession, term: str) -> int | None:
    """The device an asset tag or serial number names: as typed first (the unique asset tag's index answers that),
    then ignoring case, as scanners vary."""
    for match in (
        sa.or_(Device.asset_tag == term, Device.serial_number == term),
        sa.or_(sa.func.lower(Device.asset_tag) == term.lower(), sa.func.lower(Device.serial_number) == term.lower()),
    ):
        statement = sa.select(Device.id).where(match).order_by(Device.id).limit(1)
        device_id = (await session.execute(statement)).scalar_one_or_none()
        if device_id is not None:
            return int(device_id)
    return None
