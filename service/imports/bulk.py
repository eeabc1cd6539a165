"""PostgreSQL: an import's new rows go in by COPY on the session's own connection, in its transaction.

A multi-row INSERT ... RETURNING spends most of its time in SQLAlchemy and the driver building parameters and
reading rows back; COPY sends the rows in the driver's binary format. Their ids are taken from the table's sequence
first, as the column default would, so nothing needs to come back. Row triggers, CHECKs, foreign keys and unique
constraints apply to COPY as to INSERT; a violation fails the chunk, which rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

# One array back instead of a row per id. The sequence comes as a regclass parameter: nextval() of
# pg_get_serial_sequence(...) evaluated per row took seven times as long.
_RESERVE_IDS = sa.text("SELECT array_agg(nextval(CAST(:sequence AS regclass))) FROM generate_series(1, :n)").columns(
    sa.column("ids")
)
_SEQUENCE = sa.text("SELECT pg_get_serial_sequence(:table, 'id')")
# Each table's id sequence, a fact of the schema: looked up once per process.
_sequences: dict[str, str] = {}


async def reserve_ids(session: AsyncSession, table: sa.Table, n: int) -> list[int]:
    """``n`` new ids of ``table``, ascending (also starts the session's transaction if nothing has yet)."""
    if n == 0:
        return []
    if table.name not in _sequences:
        _sequences[table.name] = (await session.execute(_SEQUENCE, {"table": table.name})).scalar_one()
    ids = (await session.execute(_RESERVE_IDS, {"sequence": _sequences[table.name], "n": n})).scalar_one()
    return sorted(ids)


async def copy_rows(
    session: AsyncSession, table: sa.Table, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
) -> None:
    """COPY ``records`` (tuples in the order of ``columns``, ids included) into ``table``, in the transaction."""
    raw = await (await session.connection()).get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=list(columns)
    )
