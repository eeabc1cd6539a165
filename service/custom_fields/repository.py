"""Queries for custom fields and their values; the list filter the devices repository applies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from service.custom_fields.models import CustomField, DeviceFieldValue
from service.custom_fields.rules import FieldDef, FieldFilter, FieldType, Stored, fold

_fields: sa.Table = CustomField.__table__  # type: ignore[attr-defined]
_values: sa.Table = DeviceFieldValue.__table__  # type: ignore[attr-defined]
STORED_COLUMNS = ("text_value", "number_value", "date_value", "bool_value")


def definition(row: Any) -> FieldDef:
    return FieldDef(
        id=row.id,
        key=row.key,
        name=row.name,
        type=FieldType(row.type),
        required=row.required,
        unique=row.unique,
        choices=tuple(row.choices or ()),
        category=row.category,
    )


async def field_rows(db: AsyncSession | AsyncConnection) -> list[Any]:
    return list((await db.execute(sa.select(_fields).order_by(_fields.c.name))).all())


async def definitions(db: AsyncSession | AsyncConnection) -> dict[str, FieldDef]:
    """Every field by key: a handful of rows, read once per request that needs them."""
    return {row.key: definition(row) for row in await field_rows(db)}


async def get_field(session: AsyncSession, field_id: int) -> CustomField | None:
    return await session.get(CustomField, field_id)


async def name_or_key_taken(session: AsyncSession, name: str, key: str, except_id: int | None) -> bool:
    stmt = sa.select(_fields.c.id).where(sa.or_(sa.func.lower(_fields.c.name) == name.lower(), _fields.c.key == key))
    if except_id is not None:
        stmt = stmt.where(_fields.c.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def values_of(db: AsyncSession | AsyncConnection, device_ids: Sequence[int]) -> dict[int, dict[int, Stored]]:
    """{device id: {field id: stored value}} for a page of devices, in one query."""
    if not device_ids:
        return {}
    rows = await db.execute(sa.select(_values).where(_values.c.device_id.in_(list(device_ids))))
    found: dict[int, dict[int, Stored]] = {}
    for row in rows:
        found.setdefault(row.device_id, {})[row.field_id] = Stored(**{c: getattr(row, c) for c in STORED_COLUMNS})
    return found


async def stored_values(session: AsyncSession, field_id: int) -> list[tuple[int, Stored]]:
    rows = await session.execute(sa.select(_values).where(_values.c.field_id == field_id))
    return [(row.device_id, Stored(**{c: getattr(row, c) for c in STORED_COLUMNS})) for row in rows]


async def value_counts(session: AsyncSession) -> dict[int, int]:
    stmt = sa.select(_values.c.field_id, sa.func.count()).group_by(_values.c.field_id)
    return {field_id: n for field_id, n in (await session.execute(stmt)).all()}


async def count_values(session: AsyncSession, field_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(_values).where(_values.c.field_id == field_id)
    return int((await session.execute(stmt)).scalar_one())


async def unique_holder(
    session: AsyncSession, field_id: int, unique_value: str, except_device: int | None
) -> int | None:
    stmt = sa.select(_values.c.device_id).where(_values.c.field_id == field_id, _values.c.unique_value == unique_value)
    if except_device is not None:
        stmt = stmt.where(_values.c.device_id != except_device)
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def put_value(
    session: AsyncSession, device_id: int, field_id: int, stored: Stored | None, unique: str | None
) -> None:
    """Sets (or with None removes) one device's value of one field."""
    where = (_values.c.device_id == device_id) & (_values.c.field_id == field_id)
    await session.execute(sa.delete(_values).where(where))
    if stored is not None:
        await session.execute(
            sa.insert(_values).values(
                device_id=device_id,
                field_id=field_id,
                unique_value=unique,
                **stored.columns(),
            )
        )


async def rewrite_values(session: AsyncSession, field_id: int, rows: Iterable[dict[str, Any]]) -> None:
    """A field's values after its type or uniqueness changed: each row's typed columns set anew."""
    for row in rows:
        await session.execute(
            sa.update(_values)
            .where(_values.c.field_id == field_id, _values.c.device_id == row["device_id"])
            .values(**{c: row.get(c) for c in (*STORED_COLUMNS, "text_folded", "unique_value")})
        )


def filter_clause(device_id: Any, wanted: FieldFilter, after: int | None = None) -> sa.ColumnElement[bool]:
    """The devices whose value of one field matches: a semi-join the (field, value, device) index answers.
    ``after``, a keyset page's lower bound, is repeated inside: PostgreSQL merges the two id-ordered scans and
    does not carry the bound across, so a page deep in the fleet would first read every earlier match."""
    textual = wanted.field.type.column == "text_value"
    column = _values.c.text_folded if textual else _values.c[wanted.field.type.column]
    conditions = [_values.c.field_id == wanted.field.id]
    if after is not None:
        conditions.append(_values.c.device_id > after)
    for stored, compare in ((wanted.equals, "eq"), (wanted.gte, "ge"), (wanted.lte, "le")):
        if stored is not None:
            value = fold(stored.text_value) if textual else stored.of(wanted.field.type)
            conditions.append(getattr(column, f"__{compare}__")(value))
    return device_id.in_(sa.select(_values.c.device_id).where(*conditions))
