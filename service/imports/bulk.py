"""PostgreSQL: an import's new rows go in by COPY on the session's own connection, in its transaction (prepare.py
and references.py make them; SQLite takes writer.py's INSERTs).

A multi-row INSERT ... RETURNING spends most of its time in SQLAlchemy and the driver building parameters and
reading rows back; COPY sends the rows in the driver's binary format. Their ids are taken from the table's sequence
first, as the column default would, so nothing needs to come back. Row triggers, CHECKs, foreign keys and unique
constraints apply to COPY as to INSERT; a violation fails the chunk, which rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit.chain import Encoded

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


@dataclass(slots=True)
class Copy:
    """Rows for one table, ids included, in the order of ``columns``."""

    table: sa.Table
    columns: tuple[str, ...]
    records: list[tuple[Any, ...]]

    @classmethod
    def of(cls, table: sa.Table, ids: list[int], values: list[dict[str, Any]]) -> Copy:
        """From row dicts that all have the same keys, with their reserved ids."""
        columns = ("id", *values[0])
        return cls(table, columns, [(i, *v.values()) for i, v in zip(ids, values, strict=True)])


@dataclass(slots=True)
class Prepared:
    """A chunk's new rows, made while the chunk before it was being written (prepare.py): what is left to do when
    its turn comes is sending them. ``audit`` holds the parts of the chunk's audit record they make, encoded."""

    copies: list[Copy]
    audit: dict[str, Encoded]
    sent_to_repair: list[tuple[int, int]]  # (device id, event id) of the moves into repair
    obligations: list[list[int]]  # [obligation id, device id] of the one-for-one obligations created


async def copy_prepared(session: AsyncSession, prepared: Prepared) -> None:
    """Parents first: the order of ``copies``."""
    for copy in prepared.copies:
        if copy.records:
            await copy_rows(session, copy.table, copy.columns, copy.records)
