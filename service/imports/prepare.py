"""PostgreSQL: a chunk's new rows made ready while the chunk before it is still being written.

Writing a chunk is the import's critical path, and half of it used to be Python: building the new devices', events'
and media rows, and encoding the audit record that lists them, while the server waited. Here all of that happens
as soon as the chunk is planned (service.py), when the server is busy with the chunk before: ids come from the
tables' sequences (non-transactional, so taking them early only leaves gaps if the chunk fails), and what the
chunk's audit record says of its new rows is encoded in pieces (audit.chain.Encoded) that the record takes as they
are. When its turn comes the chunk only sends its rows (bulk.copy_prepared). Chunks are still prepared and written
in file order, so ids keep ascending through the file as one chunk at a time would give them.

The rows are exactly what writer.py's INSERT ... SELECT statements give on SQLite: the same columns, the same ids
in the same order, the same audit record.
"""

from __future__ import annotations

import json
import operator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit.chain import encoded
from service.compensation.models import CompensationObligation
from service.compensation.rules import CompensationRules
from service.context import Actor
from service.devices.lifecycle import Move
from service.devices.models import Device, DeviceEvent
from service.imports import bulk
from service.imports.references import References
from service.imports.writer import ChunkWork, created_audit, event_details, event_steps, new_device_rows
from service.wipes.models import StorageMedium
from service.wipes.policy import MEDIA_TYPES

_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
_events: sa.Table = DeviceEvent.__table__  # type: ignore[attr-defined]
_media: sa.Table = StorageMedium.__table__  # type: ignore[attr-defined]
_obligations: sa.Table = CompensationObligation.__table__  # type: ignore[attr-defined]

_DEVICE_COLUMNS = tuple(c.name for c in _devices.columns)
_device_record = operator.itemgetter(*_DEVICE_COLUMNS)  # a row's values in column order
_EVENT_COLUMNS = ("id", "device_id", "move", "from_status", "to_status", "holder_id", "actor", "reason", "details",
                  "at")  # fmt: skip
_OBLIGATION_COLUMNS = ("id", "device_id", "category", "weight_grams", "purchase_date", "status", "partner_reference",
                       "created_at")  # fmt: skip
_MEDIA_COLUMNS = ("id", "device_id", "media_type", "source", "version", "created_at", "updated_at", "description")


async def prepare_chunk(
    session: AsyncSession,
    actor: Actor,
    work: ChunkWork,
    references: References,
    compensation: CompensationRules,
    now: datetime,
) -> None:
    """Sets ``work.prepared``; fills in the new devices' ids. Runs in the chunk's own transaction, before the chunk
    ahead of it has committed (its reads see nothing of that chunk's writes, and need not)."""
    said, copies = await references.reserve_new(session, *work.new_references(), now)
    sent: list[tuple[int, int]] = []
    obligations: list[list[int]] = []
    if work.creations:
        rows = new_device_rows(work, now)
        for creation, row, device_id in zip(
            work.creations, rows, await bulk.reserve_ids(session, _devices, len(rows)), strict=True
        ):
            creation.device_id = row["id"] = device_id
        copies.append(bulk.Copy(_devices, _DEVICE_COLUMNS, list(map(_device_record, rows))))
        events, sent = await _event_rows(session, actor, work, {row["id"]: row["holder_id"] for row in rows}, now)
        copies.append(events)
        media, pairs = await _media_rows(session, work, rows, now)
        copies.append(media)
        said.update(created_audit(work, rows, pairs))
        owed, obligations = await _obligation_rows(session, work, compensation, now)
        copies.append(owed)
    audit = {key: encoded(value) for key, value in said.items()}
    work.prepared = bulk.Prepared(copies, audit, sent, obligations)


async def _event_rows(
    session: AsyncSession, actor: Actor, work: ChunkWork, holders: dict[int, int | None], now: datetime
) -> tuple[bulk.Copy, list[tuple[int, int]]]:
    """The steps' events (writer.event_steps), with the ids the INSERT ... SELECTs give them, their details as
    the JSON text the column would store; and (device id, event id) of the moves into repair."""
    steps = event_steps(work)
    ids = iter(await bulk.reserve_ids(session, _events, sum(len(devices) for devices in steps.values())))
    details, name = json.dumps(event_details(work)), actor.name
    records, sent = [], []
    for (_, move, from_status, to_status, with_holder), device_ids in steps.items():
        kind = move.value
        for device_id in device_ids:
            event_id = next(ids)
            holder = holders[device_id] if with_holder else None
            records.append((event_id, device_id, kind, from_status, to_status, holder, name, "", details, now))
            if move is Move.repair:
                sent.append((device_id, event_id))
    return bulk.Copy(_events, _EVENT_COLUMNS, records), sent


async def _media_rows(
    session: AsyncSession, work: ChunkWork, rows: list[dict[str, Any]], now: datetime
) -> tuple[bulk.Copy, list[list[int]]]:
    """One medium per unit of the model's count, of its type or "other", ids in device order, as the INSERT ...
    SELECT gives them; and the [medium id, device id] pairs for the audit."""
    kinds = []
    for creation in work.creations:
        count, media_type = creation.model.media
        kinds.append((count, media_type if media_type in MEDIA_TYPES else "other"))
    ids = iter(await bulk.reserve_ids(session, _media, sum(count for count, _ in kinds)))
    records, pairs = [], []
    for row, (count, media_type) in zip(rows, kinds, strict=True):  # in device id order
        for _ in range(count):
            medium_id = next(ids)
            records.append((medium_id, row["id"], media_type, "model", 1, now, now, ""))
            pairs.append([medium_id, row["id"]])
    return bulk.Copy(_media, _MEDIA_COLUMNS, records), pairs


async def _obligation_rows(
    session: AsyncSession, work: ChunkWork, rules: CompensationRules, now: datetime
) -> tuple[bulk.Copy, list[list[int]]]:
    """The one-for-one obligations the new devices owe, as compensation.insert_obligations would create them (the
    pure rules decide; a device this chunk creates has none yet), ids in device order; and the [obligation id,
    device id] pairs for the audit."""
    owing = []
    for creation in work.creations:
        model, bought = creation.model, creation.values["purchase_date"]
        if rules.owes(model.category, bought):
            weight = rules.weight_grams(model.category, model.weight_grams)
            owing.append((creation.device_id, model.category, weight, bought))
    ids = await bulk.reserve_ids(session, _obligations, len(owing))
    records = [
        (ob_id, device_id, category, weight, bought, "pending", "", now)
        for ob_id, (device_id, category, weight, bought) in zip(ids, owing, strict=True)
    ]
    return bulk.Copy(_obligations, _OBLIGATION_COLUMNS, records), [[r[0], r[1]] for r in records]
