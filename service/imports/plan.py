"""Deciding, for one chunk of rows, what each row does: create a device, change one, leave one alone, or be refused.

Reads only (the devices the chunk names, the models and employees it needs); writer.py writes what is decided.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.ext.asyncio.session import AsyncSession

from service.companies.models import DEFAULT_COMPANY_ID
from service.custom_fields.rules import FieldDef
from service.db import is_postgres
from service.devices.lifecycle import Move
from service.devices.models import Device
from service.i18n import gettext
from service.imports.custom import CustomChanges, CustomValues
from service.imports.moves import DeviceState, MoveRefused, PlannedMove, desired_state, plan_moves
from service.imports.reader import RowError
from service.imports.references import EmployeeRef, KnownCompany, KnownEmployee, KnownModel, References
from service.imports.rows import NEVER_IMPORTED, DeviceRecord, missing_for_create, with_note_lines
from service.imports.seen import KeyIndex
from service.imports.writer import Change, ChunkWork, Creation

_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
# Reading and planning a chunk is pure Python for tens of milliseconds; handing the event loop back every this many
# rows lets the chunk being written meanwhile (service.py) send its next statement as soon as the last is done.
# Writing is the import's critical path (its Python work and the server's take turns), so each of its 40-odd waits
# per chunk would also wait out the rest of a planning slice: every 50 rows instead cost less CPU (about 2%, the
# event loop's turns) but, by that reckoning, more wall clock time.
YIELD_EVERY = 20
# What an import may set on a device, and what it compares to decide "unchanged".
_COLUMNS = (
    "id", "asset_tag", "serial_number", "manufacturer", "model_id", "purchase_date", "purchase_price_cents",
    "supplier", "order_ref", "warranty_end", "holder_id", "location", "condition_grade", "notes", "status", "version",
    "company_id", "cost_centre",
)  # fmt: skip
_NEW_DEVICE_DEFAULTS = {"supplier": "", "order_ref": "", "warranty_end": None, "location": "", "condition_grade": "A",
                        "notes": "", "cost_centre": ""}  # fmt: skip


@dataclass(slots=True)
class Planned:
    """A row's decision: what to write (``item``), or why not (``errors``); neither means unchanged."""

    record: DeviceRecord
    device_id: int | None = None
    item: Creation | Change | None = None
    errors: list[RowError] | None = None


_ASSIGN = Move.assign


def _assigns(moves: list[PlannedMove]) -> bool:
    for m in moves:  # noqa: SIM110 - once per row, any()'s generator cost more than the test
        if m.move is _ASSIGN:
            return True
    return False


def serial_key(manufacturer: str | None, serial: str) -> str:
    return f"s\x00{(manufacturer or '').lower()}\x00{serial}"


def tag_key(tag: str) -> str:
    return f"t\x00{tag}"


def _lookups() -> dict[str, sa.Select[Any]]:
    """The device lookups of a chunk, built once with parameters (building and compiling them anew for every chunk
    cost more Python time than the database spent answering them)."""
    columns = [_devices.c[c] for c in _COLUMNS]
    # PostgreSQL plans a literal list of 1000 (maker, serial) pairs as 1000 OR-ed index scans (about 0.2 s of
    # planning); pairs from two unnested arrays are one nested loop over the unique index. SQLite probes the index
    # once per pair of a plain list.
    pairs = (
        sa.func.unnest(sa.bindparam("makers", type_=ARRAY(sa.String)), sa.bindparam("serials", type_=ARRAY(sa.String)))
        .table_valued("maker", "serial")
        .render_derived(name="pairs")
    )
    maker_serial = sa.tuple_(_devices.c.manufacturer, _devices.c.serial_number)
    return {
        "pairs_postgres": sa.select(*columns).where(maker_serial.in_(sa.select(pairs.c.maker, pairs.c.serial))),
        "pairs_sqlite": sa.select(*columns).where(maker_serial.in_(sa.bindparam("pairs", expanding=True))),
        "serials": sa.select(*columns).where(_devices.c.serial_number.in_(sa.bindparam("serials", expanding=True))),
        "tags": sa.select(*columns).where(_devices.c.asset_tag.in_(sa.bindparam("tags", expanding=True))),
        # One array parameter instead of a rendered list of a thousand.
        "tags_postgres": sa.select(*columns).where(
            _devices.c.asset_tag == sa.any_(sa.bindparam("tags", type_=ARRAY(sa.String)))
        ),
    }


_LOOKUPS = _lookups()


def _same_serial(first: int) -> str:
    return gettext("row {first} has this serial number; each device may appear once in a file").format(first=first)


def _released_key(tag: str, device_id: int) -> str:
    return f"released\0{tag}\0{device_id}"


class _Found:
    """The chunk's devices from the database, by asset tag and by serial number. A tag an earlier row of the file
    took from its device no longer names that device, even while that chunk is still being written (service.py
    plans the next chunk meanwhile, and its reads do not see uncommitted changes)."""

    def __init__(self, devices: list[dict[str, Any]], seen: KeyIndex) -> None:
        self.by_tag = {
            d["asset_tag"]: d
            for d in devices
            if d["asset_tag"] and seen.first_row(_released_key(d["asset_tag"], d["id"])) is None
        }
        self.by_serial: dict[str, list[dict[str, Any]]] = {}
        for d in devices:
            if d["serial_number"]:
                self.by_serial.setdefault(d["serial_number"], []).append(d)


class ChunkPlanner:
    def __init__(
        self, references: References, seen: KeyIndex, custom_fields: dict[str, FieldDef] | None = None
    ) -> None:
        self.references = references
        self.seen = seen
        self.custom_fields = custom_fields or {}
        self.custom = CustomValues(self.custom_fields, seen)
        # Serial numbers rows with a manufacturer used in this chunk and the one before: the devices those rows
        # create may not be committed while this chunk is planned, so a later row giving only that serial
        # would not find them (older ones it finds, and _match refuses it there).
        self._serials_now: dict[str, int] = {}
        self._serials_before: dict[str, int] = {}

    async def plan(self, session: AsyncSession, records: Sequence[DeviceRecord], work: ChunkWork) -> list[Planned]:
        refs = self.references
        refs.start_chunk()
        await refs.load_companies(session)
        self._serials_before, self._serials_now = self._serials_now, {}
        await refs.load_manufacturers(session, {r.manufacturer for r in records if r.manufacturer})
        planned: list[Planned] = []
        for n, record in enumerate(records):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            if record.manufacturer:
                record.manufacturer = refs.manufacturer(record.manufacturer)
            planned.append(Planned(record, errors=self._claim_keys(record)))
        live = [p for p in planned if p.errors is None]
        devices = _Found(await self._find_devices(session, [p.record for p in live]), self.seen)
        matches: dict[int, dict[str, Any] | None] = {}
        for n, p in enumerate(live):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            found = self._match(p.record, devices)
            if isinstance(found, dict):
                # Two rows can reach one device by different keys (one by tag, one by serial): only the first
                # may change it, or the second would move it again from a state it has already left.
                first = self.seen.add(f"device\0{found['id']}", p.record.row)
                if first is not None:
                    found = RowError("row", gettext(
                                                "row {first} is about the same device (#{id}); each device "
                                                "may appear once in a file"
                                            ).format(first=first, id=found['id']))  # fmt: skip
            if isinstance(found, RowError):
                p.errors = [found]
            else:
                matches[id(p)] = found
        live = [p for p in live if p.errors is None]
        await refs.load_models(
            session,
            {
                (p.record.manufacturer or (matches[id(p)] or {}).get("manufacturer", ""), p.record.model)
                for p in live
                if p.record.model and (p.record.manufacturer or matches[id(p)])
            },
        )
        await refs.load_employees(session, {p.record.holder for p in live if p.record.holder})
        await self.custom.load(
            session,
            [m["id"] for p in live if p.record.custom and (m := matches[id(p)]) is not None],
            (p.record for p in live),
        )
        for n, p in enumerate(live):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            device = matches[id(p)]
            try:
                if device is None:
                    self._plan_creation(p, work)
                else:
                    self._plan_change(p, device, work)
            except MoveRefused as exc:
                p.errors, p.item = [RowError(exc.field, exc.message)], None
        return planned

    async def lock_changes(self, session: AsyncSession, planned: list[Planned], work: ChunkWork) -> None:
        """Called once the chunk before has committed, just before this one is written: locks the devices it
        changes (refusing rows whose device someone else changed since planning) and releases the asset tags it
        takes off devices for the chunks planned after it. Planning itself takes no locks, so a chunk waiting
        for the one before never holds a row another transaction may be waiting for."""
        await self._lock_changed(session, planned, work)
        for change in work.changes:
            if "asset_tag" in change.changes and change.before["asset_tag"]:
                self.seen.add(_released_key(change.before["asset_tag"], change.device_id), change.record.row)

    def _claim_keys(self, record: DeviceRecord) -> list[RowError] | None:
        """Refuses the second row naming the same device; the first row keeps its keys even if refused later."""
        serial = record.serial_number
        if serial and not record.manufacturer:
            first = self._serials_now.get(serial) or self._serials_before.get(serial)
            if first is not None:
                return [RowError("serial_number", _same_serial(first))]
        elif serial:
            self._serials_now.setdefault(serial, record.row)
        keys = []
        if record.serial_number:
            keys.append(("serial_number", serial_key(record.manufacturer, record.serial_number)))
        if record.asset_tag:
            keys.append(("asset_tag", tag_key(record.asset_tag)))
        for field, key in keys:
            first = self.seen.first_row(key)
            if first is not None:
                what = "manufacturer and serial number" if field == "serial_number" else "asset tag"
                return [
                    RowError(
                        field,
                        gettext("row {first} has the same {what}; each device may appear once in a file").format(
                            first=first, what=what
                        ),
                    )
                ]
        for _, key in keys:
            self.seen.add(key, record.row)
        return None

    async def _find_devices(self, session: AsyncSession, records: list[DeviceRecord]) -> list[dict[str, Any]]:
        """The devices the chunk's rows may be about: by (manufacturer, serial), then by asset tag, each answered
        by its unique index (one query with OR, or lists of makers and serials, makes PostgreSQL scan the table)."""
        postgres = is_postgres(session)
        pairs = sorted(
            {(maker, r.serial_number) for r in records if r.serial_number and r.manufacturer
             for maker in self.references.spellings(r.manufacturer)}
        )  # fmt: skip
        loose_serials = sorted({r.serial_number for r in records if r.serial_number and not r.manufacturer})
        tags = sorted({r.asset_tag for r in records if r.asset_tag})
        queries: list[tuple[sa.Select[Any], dict[str, Any]]] = []
        if pairs and postgres:
            queries.append(
                (_LOOKUPS["pairs_postgres"], {"makers": [m for m, _ in pairs], "serials": [s for _, s in pairs]})
            )
        elif pairs:
            queries.append((_LOOKUPS["pairs_sqlite"], {"pairs": pairs}))
        if loose_serials:
            queries.append((_LOOKUPS["serials"], {"serials": loose_serials}))  # rare: a serial without its maker
        if tags:
            queries.append((_LOOKUPS["tags_postgres" if postgres else "tags"], {"tags": tags}))
        found: dict[int, dict[str, Any]] = {}
        for query, params in queries:
            for row in await session.execute(query, params):
                found[row.id] = dict(row._mapping)
        return list(found.values())

    @staticmethod
    async def _lock_changed(session: AsyncSession, planned: list[Planned], work: ChunkWork) -> None:
        """Locks the devices the chunk changes and refuses the rows whose device someone else changed since it was
        read. Only those few are locked: a re-import leaves nearly every device as it is, and locking all it reads
        would write a lock into every one of them. (SQLite's BEGIN IMMEDIATE already keeps other writers out.)"""
        if not work.changes or not is_postgres(session):
            return
        ids = sorted(c.device_id for c in work.changes)
        statement = sa.select(_devices.c.id, _devices.c.version).where(_devices.c.id.in_(ids)).with_for_update()
        versions = {row.id: row.version for row in await session.execute(statement)}
        stale = {c.device_id for c in work.changes if versions.get(c.device_id) != c.before["version"]}
        if not stale:
            return
        work.changes = [c for c in work.changes if c.device_id not in stale]
        for p in planned:
            if isinstance(p.item, Change) and p.item.device_id in stale:
                message = f"device #{p.item.device_id} was changed by someone else during the import; import again"
                p.item, p.errors = None, [RowError("row", message)]

    def _match(self, record: DeviceRecord, devices: _Found) -> dict[str, Any] | RowError | None:
        """The device the row is about: by manufacturer and serial, else by asset tag; None means a new one."""
        by_tag = devices.by_tag.get(record.asset_tag) if record.asset_tag else None
        if record.serial_number:
            same_serial = devices.by_serial.get(record.serial_number, [])
            if record.manufacturer:
                same_serial = [d for d in same_serial if d["manufacturer"].lower() == record.manufacturer.lower()]
            else:
                for d in same_serial:  # one an earlier row named with its manufacturer (_claim_keys: the newest)
                    first = self.seen.first_row(serial_key(d["manufacturer"], record.serial_number))
                    if first is not None:
                        return RowError("serial_number", _same_serial(first))
            if len(same_serial) > 1:
                makers = ", ".join(sorted(d["manufacturer"] for d in same_serial))
                return RowError(
                    "manufacturer",
                    gettext("devices of {makers} have this serial number; say which manufacturer").format(
                        makers=makers
                    ),
                )
            if same_serial:
                device = same_serial[0]
                if by_tag is not None and by_tag["id"] != device["id"]:
                    return RowError(
                        "asset_tag",
                        gettext("{asset_tag} already belongs to another device (#{id})").format(
                            asset_tag=record.asset_tag, id=by_tag["id"]
                        ),
                    )
                return device
            if by_tag is None:
                return None
            maker_fits = not record.manufacturer or by_tag["manufacturer"].lower() == record.manufacturer.lower()
            if by_tag["serial_number"] is None and maker_fits:
                return by_tag  # a device registered by tag alone: the file now brings its serial number
            return RowError(
                "asset_tag",
                gettext(
                    "{asset_tag} already belongs to another device (#{id}, serial {serial}, {manufacturer})"
                ).format(
                    asset_tag=record.asset_tag,
                    id=by_tag["id"],
                    serial=by_tag["serial_number"] or gettext("none"),
                    manufacturer=by_tag["manufacturer"],
                ),
            )
        return by_tag

    def _holder(
        self, p: Planned, company_id: int, current_holder_id: int | None = None
    ) -> tuple[EmployeeRef | None, Any]:
        """(employee, the token moves compare) for the row's holder, who must work for the device's company (as
        the API requires). Someone who left may still be named as the holder a device already has (an export's
        round trip), but nothing moves to them."""
        if p.record.holder is None:
            return None, None
        found = self.references.employee(p.record.holder, company_id)
        if isinstance(found, RowError):
            raise MoveRefused(found.field, found.message)
        holds_it = isinstance(found, KnownEmployee) and found.id == current_holder_id
        if isinstance(found, KnownEmployee) and not found.active and not holds_it:
            raise MoveRefused("holder", gettext("{name} is no longer active").format(name=found.name))
        if found.company_id != company_id and not holds_it:
            raise MoveRefused(
                "holder", gettext("{name} works for another company than the device's").format(name=found.name)
            )
        return found, found.id if isinstance(found, KnownEmployee) else found

    def _company(self, record: DeviceRecord) -> KnownCompany | RowError | None:
        """The company the row names (None when it names none), or why it cannot be used: the import creates no
        companies, so a misspelt one cannot scatter devices over new ones."""
        if record.company is None:
            return None
        found = self.references.company(record.company)
        if found is None:
            return RowError(
                "company",
                gettext(
                    'no company is named "{name}"; add it first (on the companies page, or POST /api/v1/companies), '
                    "then import again"
                ).format(name=record.company),
            )
        return found

    def _plan_creation(self, p: Planned, work: ChunkWork) -> None:
        record = p.record
        company = self._company(record)
        missing = missing_for_create(record)
        if isinstance(company, RowError):
            missing.insert(0, company)
        if missing:
            p.errors = missing
            return
        if company is not None and not company.active:
            raise MoveRefused("company", gettext("{name} is no longer active").format(name=company.name))
        company_id = company.id if company is not None else DEFAULT_COMPANY_ID
        assert record.manufacturer is not None and record.model is not None
        model = self.references.model(record.manufacturer, record.model, record.category)
        employee, token = self._holder(p, company_id)
        moves = plan_moves(DeviceState("in_stock"), desired_state(None, record.status, record.holder_given, token))
        custom = self.custom.changes(record, model.category, None) if self.custom_fields else {}
        values = {**_NEW_DEVICE_DEFAULTS, **record.fields, "asset_tag": record.asset_tag,
                  "serial_number": record.serial_number, "company_id": company_id}  # fmt: skip
        values["notes"] = with_note_lines(values["notes"], record.note_lines)
        warranty, bought = values["warranty_end"], values["purchase_date"]
        if warranty is not None and warranty < bought:
            raise MoveRefused("warranty_end", gettext("is before the purchase date"))
        p.item = Creation(record, model, employee if _assigns(moves) else None, values, moves, custom=custom)
        work.creations.append(p.item)

    def _plan_change(self, p: Planned, device: dict[str, Any], work: ChunkWork) -> None:
        record = p.record
        p.device_id = device["id"]
        company = self._company(record)
        if isinstance(company, RowError):
            raise MoveRefused(company.field, company.message)
        if company is not None and company.id != device["company_id"]:
            # Not offered: the device's pool credits and donations are its company's.
            raise MoveRefused(
                "company",
                gettext(
                    "device #{id} belongs to {company}; an import does not move a device to another company"
                ).format(id=device["id"], company=self.references.company_name(device["company_id"])),
            )
        changes = {k: v for k, v in record.fields.items() if device[k] != v}
        if record.note_lines:
            notes = with_note_lines(record.fields.get("notes", device["notes"]), record.note_lines)
            if notes != device["notes"]:
                changes["notes"] = notes
            else:
                changes.pop("notes", None)
        if record.asset_tag and record.asset_tag != device["asset_tag"]:
            changes["asset_tag"] = record.asset_tag
        if record.serial_number and device["serial_number"] is None:
            changes["serial_number"] = record.serial_number
            p.record.notes.append("serial number added to the device registered by its asset tag")
        if record.manufacturer and record.manufacturer.lower() != device["manufacturer"].lower():
            raise MoveRefused(
                "manufacturer",
                gettext("the device is a {manufacturer}; that does not change").format(
                    manufacturer=device["manufacturer"]
                ),
            )
        model = None
        if record.model:
            found = self.references.model(device["manufacturer"], record.model, record.category)
            if not (isinstance(found, KnownModel) and found.id == device["model_id"]):
                model = found
        warranty = changes.get("warranty_end", device["warranty_end"])
        if warranty is not None and warranty < changes.get("purchase_date", device["purchase_date"]):
            raise MoveRefused("warranty_end", gettext("is before the purchase date"))
        employee, token = self._holder(p, device["company_id"], device["holder_id"])
        current = DeviceState(device["status"], device["holder_id"])
        moves = plan_moves(current, desired_state(current, record.status, record.holder_given, token))
        custom: CustomChanges = {}
        if record.custom:
            category = model.category if model is not None else self.custom.category(device["id"])
            custom = self.custom.changes(record, category, device["id"])
        if not (changes or model or moves or custom):
            return
        if device["status"] in NEVER_IMPORTED:
            raise MoveRefused(
                "status",
                gettext("device #{id} is {status}: an import never changes such a device").format(
                    id=device["id"], status=device["status"]
                ),
            )
        p.item = Change(record, device["id"], device, changes, model, employee if _assigns(moves) else None, moves,
                        custom=custom)  # fmt: skip
        work.changes.append(p.item)
