"""Writing one chunk of an import: set-based statements, then one audit record that lists what they changed.

On PostgreSQL a chunk's new models, employees, devices, their lifecycle events and their storage media were made,
ids and all, while the chunk before was being written (prepare.py): here they go in by COPY (bulk.py). On SQLite,
which writes one chunk at a time, new devices are one multi-row INSERT ... RETURNING (SQLAlchemy Core,
``insertmanyvalues``: an ORM object per row costs about ten times as much, STACK-NOTES.md "Bulk insert"), and their
events and media are written by the database from those rows (INSERT ... SELECT). Obligations are INSERT ... SELECT
on both. Changed devices are one executemany UPDATE per set of changed columns. Moves of devices that already
existed take the ordinary path after their event (the device hooks' ``moved``), so their repairs and faults stay in
step exactly as a move from a page would; they are few (a re-import leaves nearly every device as it is).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.compensation.rules import CompensationRules
from service.compensation.service import insert_obligations, settle_obligations
from service.context import Actor
from service.db import UTCDateTime
from service.device_models.models import DeviceModel
from service.devices import hooks
from service.devices.lifecycle import RELEASES_HOLDER, Move
from service.devices.models import Device, DeviceEvent
from service.faults.models import Repair
from service.imports import bulk
from service.imports.custom import CustomChanges, write_custom
from service.imports.moves import PlannedMove
from service.imports.references import EmployeeRef, KnownEmployee, ModelRef, NewEmployee, NewModel, References
from service.imports.rows import DeviceRecord
from service.wipes.models import StorageMedium
from service.wipes.policy import MEDIA_TYPES

_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
_events: sa.Table = DeviceEvent.__table__  # type: ignore[attr-defined]
_repairs: sa.Table = Repair.__table__  # type: ignore[attr-defined]
_media: sa.Table = StorageMedium.__table__  # type: ignore[attr-defined]
_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]

# storage_media_count is at most 16 (a CHECK on device_models): one row per medium comes from joining these.
_MEDIUM_NUMBERS = sa.union_all(*[sa.select(sa.literal(n).label("n")) for n in range(1, 17)]).subquery("numbers")


@dataclass(slots=True)
class Creation:
    record: DeviceRecord
    model: ModelRef
    holder: EmployeeRef | None
    values: dict[str, Any]  # device columns, model and holder aside
    moves: list[PlannedMove]
    device_id: int | None = None
    custom: CustomChanges = field(default_factory=dict)


@dataclass(slots=True)
class Change:
    record: DeviceRecord
    device_id: int
    before: dict[str, Any]
    changes: dict[str, Any]  # device columns, status and holder aside
    model: ModelRef | None
    holder: EmployeeRef | None
    moves: list[PlannedMove]
    custom: CustomChanges = field(default_factory=dict)


@dataclass
class ChunkWork:
    import_key: str
    format: str
    first_row: int
    last_row: int
    creations: list[Creation] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    prepared: bulk.Prepared | None = None  # PostgreSQL: the new rows, made ahead (prepare.py)

    def new_references(self) -> tuple[list[NewModel], list[NewEmployee]]:
        models: dict[int, NewModel] = {}
        employees: dict[int, NewEmployee] = {}
        for item in (*self.creations, *self.changes):
            if isinstance(item.model, NewModel) and item.model.id is None:
                models[id(item.model)] = item.model
            if isinstance(item.holder, NewEmployee) and item.holder.id is None:
                employees[id(item.holder)] = item.holder
        return list(models.values()), list(employees.values())


def _holder_id(token: Any) -> int | None:
    if token is None or isinstance(token, int):
        return token
    if isinstance(token, KnownEmployee | NewEmployee):
        assert token.id is not None
        return token.id
    raise TypeError(f"not a holder: {token!r}")


def final_state(status: str, holder: Any, moves: list[PlannedMove]) -> tuple[str, Any]:
    """Status and holder after the moves (an assign brings its holder; unassign, retire and lost release it)."""
    for move in moves:
        status = move.to_status
        if move.move is Move.assign:
            holder = move.holder
        elif move.move in RELEASES_HOLDER:
            holder = None
    return status, holder


def _event(
    device_id: int, move: PlannedMove | None, actor: Actor, work: ChunkWork, row: int, at: datetime
) -> dict[str, Any]:
    """An event row; ``move`` None is the registration."""
    return {
        "device_id": device_id,
        "move": move.move.value if move else Move.register.value,
        "from_status": move.from_status if move else None,
        "to_status": move.to_status if move else "in_stock",
        "holder_id": _holder_id(move.holder) if move else None,
        "actor": actor.name,
        "reason": "",
        "details": {"import": work.import_key, "format": work.format, "row": row},
        "at": at,
    }


def new_device_rows(work: ChunkWork, now: datetime) -> list[dict[str, Any]]:
    """The chunk's new devices as table rows (ids aside), each at the state its planned moves end in."""
    rows = []
    for c in work.creations:
        assert c.model.id is not None
        final, holder = final_state("in_stock", None, c.moves)
        rows.append(
            {**c.values, "model_id": c.model.id, "manufacturer": c.model.manufacturer, "holder_id": _holder_id(holder),
             "status": final, "replaces_id": None, "status_changed_at": now, "version": 1, "created_at": now,
             "updated_at": now}
        )  # fmt: skip
    return rows


async def _insert_devices(session: AsyncSession, work: ChunkWork, now: datetime) -> list[dict[str, Any]]:
    rows = new_device_rows(work, now)
    statement = sa.insert(_devices).returning(_devices.c.id, sort_by_parameter_order=True)
    ids = (await session.execute(statement, rows)).scalars().all()
    for creation, device_id, row in zip(work.creations, ids, rows, strict=True):
        creation.device_id = row["id"] = device_id
    return rows


async def _update_devices(session: AsyncSession, work: ChunkWork, now: datetime) -> None:
    """One executemany per set of changed columns (usually one or two sets per chunk)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for c in work.changes:
        values = dict(c.changes)
        if c.model is not None:
            assert c.model.id is not None
            values["model_id"] = c.model.id
        if c.moves:
            status, holder = final_state(c.before["status"], c.before["holder_id"], c.moves)
            values.update(status=status, holder_id=_holder_id(holder))
            if status != c.before["status"]:
                values["status_changed_at"] = now
        groups.setdefault(tuple(sorted(values)), []).append(
            {**{f"v_{k}": v for k, v in values.items()}, "d_id": c.device_id}
        )
    for columns, params in groups.items():
        statement = (
            sa.update(_devices)
            .where(_devices.c.id == sa.bindparam("d_id"))
            .values(
                {**{c: sa.bindparam(f"v_{c}") for c in columns}, "version": _devices.c.version + 1, "updated_at": now}
            )
        )
        await session.execute(statement, params)


# The chunk's new devices, in the statements SQLite runs (PostgreSQL's rows come by COPY, prepare.py).
_NEW_IDS = _devices.c.id.in_(sa.bindparam("ids", expanding=True))


def _seed_media_statement() -> sa.Insert:
    media_type = sa.case(
        (_models.c.storage_media_type.in_(MEDIA_TYPES), _models.c.storage_media_type), else_=sa.literal("other")
    )
    now = sa.bindparam("now", type_=UTCDateTime())
    select = (
        sa.select(_devices.c.id, media_type, sa.literal("model"), sa.literal(1), now, now, sa.literal(""))
        .select_from(_devices.join(_models, _models.c.id == _devices.c.model_id))
        .join(_MEDIUM_NUMBERS, _MEDIUM_NUMBERS.c.n <= _models.c.storage_media_count)
        .where(_NEW_IDS)
        .order_by(_devices.c.id, _MEDIUM_NUMBERS.c.n)
    )
    columns = ["device_id", "media_type", "source", "version", "created_at", "updated_at", "description"]
    return sa.insert(_media).from_select(columns, select).returning(_media.c.id, _media.c.device_id)


# Built once, with parameters: each chunk then only binds its values (building and compiling the statement anew
# for every chunk cost more Python time than the database spent running it).
_SEED_MEDIA = _seed_media_statement()


async def _seed_media(session: AsyncSession, rows: list[dict[str, Any]], now: datetime) -> list[list[int]]:
    """Each new device's model's usual media, as seed_media_from_model lists them, in one INSERT ... SELECT;
    returns [medium id, device id] pairs for the audit (the type is the model's)."""
    params = {"ids": [row["id"] for row in rows], "now": now}
    return sorted([r.id, r.device_id] for r in (await session.execute(_SEED_MEDIA, params)).all())


def _event_step_statement(with_holder: bool, returning: bool) -> sa.Insert:
    select = (
        sa.select(
            _devices.c.id,
            sa.bindparam("move", type_=_events.c.move.type),
            sa.bindparam("from_status", type_=_events.c.from_status.type),
            sa.bindparam("to_status", type_=_events.c.to_status.type),
            _devices.c.holder_id if with_holder else sa.null(),
            sa.bindparam("actor", type_=_events.c.actor.type),
            sa.literal(""),
            sa.bindparam("details", type_=_events.c.details.type),
            sa.bindparam("at", type_=_events.c.at.type),
        )
        .where(_NEW_IDS)
        .order_by(_devices.c.id)
    )
    columns = ["device_id", "move", "from_status", "to_status", "holder_id", "actor", "reason", "details", "at"]
    statement = sa.insert(_events).from_select(columns, select)
    return statement.returning(_events.c.id, _events.c.device_id) if returning else statement


# SQLite's, keyed by (with holder, returning): only the moves into repair need their events' ids back.
_EVENT_STEP = {
    (with_holder, returning): _event_step_statement(with_holder, returning)
    for with_holder in (False, True)
    for returning in (False, True)
}


EventSteps = dict[tuple[int, Move, str | None, str, bool], list[int]]


def event_steps(work: ChunkWork) -> EventSteps:
    """The registration and the planned moves of every new device, step by step: the n-th moves of every device
    that makes one, device by device (the order one device at a time would give their ids, step after step),
    keyed by (n, move, from, to, whether it has a holder). A new device's only holder is its final one, so the
    event's holder is the device row's."""
    steps: EventSteps = {}
    for creation in work.creations:
        assert creation.device_id is not None
        steps.setdefault((0, Move.register, None, "in_stock", False), []).append(creation.device_id)
        for n, move in enumerate(creation.moves, start=1):
            key = (n, move.move, move.from_status, move.to_status, move.holder is not None)
            steps.setdefault(key, []).append(creation.device_id)
    return dict(sorted(steps.items(), key=lambda s: s[0][0]))


def event_details(work: ChunkWork) -> dict[str, str]:
    return {"import": work.import_key, "format": work.format}


async def _events_of_created(
    session: AsyncSession, actor: Actor, work: ChunkWork, now: datetime
) -> list[tuple[int, int]]:
    """One INSERT ... SELECT per step (event_steps) from the rows just inserted. Returns (device id, event id) of
    the moves into repair, which get their repair records."""
    sent: list[tuple[int, int]] = []
    for (_, move, from_status, to_status, with_holder), device_ids in event_steps(work).items():
        params = {"ids": device_ids, "move": move.value, "from_status": from_status, "to_status": to_status,
                  "actor": actor.name, "details": event_details(work), "at": now}  # fmt: skip
        if move is Move.repair:
            rows = (await session.execute(_EVENT_STEP[with_holder, True], params)).all()
            sent.extend((r.device_id, r.id) for r in rows)
        else:
            await session.execute(_EVENT_STEP[with_holder, False], params)
    return sent


async def _repairs_for_new(
    session: AsyncSession, actor: Actor, sent: list[tuple[int, int]], now: datetime
) -> list[int]:
    """A device registered straight into repair gets its repair record, as start_repair writes (no faults yet)."""
    values = [
        {"device_id": device_id, "supplier": "", "expected_cost_cents": None, "fault_ids": [], "reason": "imported",
         "sent_by": actor.name, "sent_at": now, "sent_event_id": event_id, "returned_by": "", "notes": ""}
        for device_id, event_id in sent
    ]  # fmt: skip
    statement = sa.insert(_repairs).returning(_repairs.c.id, sort_by_parameter_order=True)
    return list((await session.execute(statement, values)).scalars().all())


async def _moves_of_existing(session: AsyncSession, actor: Actor, work: ChunkWork, now: datetime) -> None:
    for change in work.changes:
        if not change.moves:
            continue
        device = await session.get(Device, change.device_id, populate_existing=True)
        assert device is not None
        for move in change.moves:
            event = DeviceEvent(**_event(change.device_id, move, actor, work, change.record.row, now))
            session.add(event)
            await session.flush()
            await hooks.moved(session, actor, device, event)


# An enum's .value is a Python-level property: per move of every new device, a dict lookup is a fifth of the cost.
_MOVE_VALUES = {move: move.value for move in Move}

# The columns of a new device the audit record lists, once, with one list of values per device (a table: a
# thousand devices' keys repeated would double the record). Timestamps and version are the import's own.
CREATED_COLUMNS = (
    "row", "id", "asset_tag", "serial_number", "manufacturer", "model_id", "purchase_date", "purchase_price_cents",
    "supplier", "order_ref", "warranty_end", "location", "condition_grade", "notes", "status", "holder_id",
    "company_id", "cost_centre",
)  # fmt: skip


_DATE_POSITIONS = tuple(CREATED_COLUMNS.index(c) for c in ("purchase_date", "warranty_end"))
_created_values = operator.itemgetter(*CREATED_COLUMNS[1:])


def _created_table(rows: list[dict[str, Any]], creations: list[Creation]) -> dict[str, Any]:
    values = []
    for row, creation in zip(rows, creations, strict=True):
        line = [creation.record.row, *_created_values(row)]
        for i in _DATE_POSITIONS:
            if line[i] is not None:
                line[i] = line[i].isoformat()
        values.append(line)
    return {"columns": list(CREATED_COLUMNS), "values": values}


def created_audit(work: ChunkWork, rows: list[dict[str, Any]], media: list[list[int]]) -> dict[str, Any]:
    """What the chunk's audit record says of its new devices: their rows, their media, their moves."""
    said: dict[str, Any] = {"created": _created_table(rows, work.creations), "storage_media_seeded": media}
    moves = [{"id": c.device_id, "moves": [_MOVE_VALUES[m.move] for m in c.moves]} for c in work.creations if c.moves]
    if moves:
        said["moves_of_created"] = moves
    return said


def _changed_entry(change: Change) -> dict[str, Any]:
    after = dict(change.changes)
    if change.model is not None:
        after["model_id"] = change.model.id
    if change.moves:
        status, holder = final_state(change.before["status"], change.before["holder_id"], change.moves)
        after.update(status=status, holder_id=_holder_id(holder))
    before = {k: change.before.get(k) for k in after}
    moves = [{"move": m.move.value, "from": m.from_status, "to": m.to_status, "holder_id": _holder_id(m.holder)}
             for m in change.moves]  # fmt: skip
    return {"row": change.record.row, "id": change.device_id, "before": audit.json_safe(before),
            "after": audit.json_safe(after), **({"moves": moves} if moves else {})}  # fmt: skip


async def write_chunk(
    session: AsyncSession,
    actor: Actor,
    work: ChunkWork,
    references: References,
    compensation: CompensationRules,
    now: datetime,
) -> None:
    """Writes a planned chunk in the caller's transaction; on SQLite fills in the new devices' ids (PostgreSQL's
    were taken when the chunk was prepared)."""
    after: dict[str, Any] = {"import": work.import_key, "format": work.format, "rows": [work.first_row, work.last_row]}
    sent: list[tuple[int, int]] = []
    if work.prepared is not None:
        await bulk.copy_prepared(session, work.prepared)
        after.update(work.prepared.audit)
        sent = work.prepared.sent_to_repair
    else:
        after.update(await references.insert_new(session, *work.new_references()))
        if work.creations:
            rows = await _insert_devices(session, work, now)
            sent = await _events_of_created(session, actor, work, now)
            after.update(created_audit(work, rows, await _seed_media(session, rows, now)))
    if sent:
        after["repairs_created"] = await _repairs_for_new(session, actor, sent, now)
    created_ids = [c.device_id for c in work.creations if c.device_id is not None]
    if work.changes:
        await _update_devices(session, work, now)
        after["updated"] = [_changed_entry(c) for c in work.changes]
    custom = await write_custom(session, work.creations, work.changes)
    if custom:
        after["custom_fields"] = custom
    # One-for-one obligations of the new devices, and of changed ones whose date or model changed (settled: a
    # pending one may go or be updated). The chunk's record lists them, before any audit record is written (see
    # settle_obligations): created ones as [obligation id, device id] pairs.
    obligations: dict[str, list[Any]] = {
        "created": work.prepared.obligations
        if work.prepared is not None
        else [list(pair) for pair in await insert_obligations(session, compensation, created_ids)]
    }
    corrected = [c.device_id for c in work.changes if c.model is not None or "purchase_date" in c.changes]
    if corrected:
        for kind, items in (await settle_obligations(session, compensation, corrected)).items():
            obligations.setdefault(kind, []).extend(items)
    after.update({f"obligations_{kind}": items for kind, items in obligations.items() if items})
    entity = f"{work.import_key}:{work.first_row}-{work.last_row}"
    await audit.record(session, actor, "device.import", "device_import", entity, after=after)
    await _moves_of_existing(session, actor, work, now)
