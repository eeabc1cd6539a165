"""PostgreSQL: an import's new rows go in by COPY on the session's own connection, in its transaction (writer.py
and references.py decide what; SQLite takes their INSERTs).

A multi-row INSERT ... RETURNING spends most of its time in SQLAlchemy and the driver building parameters and
reading rows back; COPY sends the rows in the driver's binary format. Their ids are taken from the table's sequence
first, as the column default would, so nothing needs to come back. Row triggers, CHECKs, foreign keys and unique
constraints apply to COPY as to INSERT; a violation fails the chunk, which rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.device_models.models import DeviceModel
from service.devices.lifecycle import Move
from service.devices.models import DeviceEvent
from service.wipes.models import StorageMedium
from service.wipes.policy import MEDIA_TYPES

_events: sa.Table = DeviceEvent.__table__  # type: ignore[attr-defined]
_media: sa.Table = StorageMedium.__table__  # type: ignore[attr-defined]
_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]

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


_MODEL_MEDIA = sa.select(_models.c.id, _models.c.storage_media_count, _models.c.storage_media_type).where(
    _models.c.id == sa.any_(sa.bindparam("ids", type_=ARRAY(sa.Integer)))
)
_MEDIA_COLUMNS = ("id", "device_id", "media_type", "source", "version", "created_at", "updated_at", "description")


async def copy_media(session: AsyncSession, rows: list[dict[str, Any]], now: datetime) -> list[list[int]]:
    """PostgreSQL: what the INSERT ... SELECT writes (one medium per unit of the model's count, of its type or
    "other", ids in device order), from the models read in this transaction, in one COPY (the statement took
    three times as long on the server, most of it joining and ordering the rows it made)."""
    media = {
        m.id: (m.storage_media_count or 0, m.storage_media_type if m.storage_media_type in MEDIA_TYPES else "other")
        for m in await session.execute(_MODEL_MEDIA, {"ids": sorted({row["model_id"] for row in rows})})
    }
    ids = iter(await reserve_ids(session, _media, sum(media[row["model_id"]][0] for row in rows)))
    records, pairs = [], []
    for row in rows:  # in device id order
        count, media_type = media[row["model_id"]]
        for _ in range(count):
            medium_id = next(ids)
            records.append((medium_id, row["id"], media_type, "model", 1, now, now, ""))
            pairs.append([medium_id, row["id"]])
    await copy_rows(session, _media, _MEDIA_COLUMNS, records)
    return pairs


_EVENT_COLUMNS = ("id", "device_id", "move", "from_status", "to_status", "holder_id", "actor", "reason", "details",
                  "at")  # fmt: skip


async def copy_events(
    session: AsyncSession,
    actor: Actor,
    steps: dict[tuple[int, Move, str | None, str, bool], list[int]],
    holders: dict[int, int | None],
    details: str,
    now: datetime,
) -> list[tuple[int, int]]:
    """PostgreSQL: the steps' events in one COPY, in the order and with the ids the INSERT ... SELECTs give them
    (five statements a chunk, each reading the chunk's devices again, took three times as long on the server).
    ``details`` is the JSON text the column would store for the statement's parameter."""
    ordered = sorted(steps.items(), key=lambda s: s[0][0])
    ids = iter(await reserve_ids(session, _events, sum(len(devices) for _, devices in ordered)))
    records, sent, name = [], [], actor.name
    for (_, move, from_status, to_status, with_holder), device_ids in ordered:
        kind = move.value
        for device_id in device_ids:
            event_id = next(ids)
            holder = holders[device_id] if with_holder else None
            records.append((event_id, device_id, kind, from_status, to_status, holder, name, "", details, now))
            if move is Move.repair:
                sent.append((device_id, event_id))
    await copy_rows(session, _events, _EVENT_COLUMNS, records)
    return sent
