"""Custom field values in an import: what a chunk's rows change, checked as every other path checks them, and
writing them. Only a file with custom field columns pays for any of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.custom_fields.models import DeviceFieldValue
from service.custom_fields.rules import FieldDef, Stored, shown, unique_text
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.imports.moves import MoveRefused
from service.imports.rows import DeviceRecord
from service.imports.seen import KeyIndex

_devices: sa.Table = Device.__table__  # type: ignore[attr-defined]
_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_values: sa.Table = DeviceFieldValue.__table__  # type: ignore[attr-defined]
_STORED = ("text_value", "number_value", "date_value", "bool_value")

# A row's custom field values that differ from its device's: the value, or None to clear it.
CustomChanges = dict[FieldDef, Stored | None]


class CustomValues:
    """Per chunk: the current values (and model category) of the devices its rows change, and who holds the unique
    values it sets; ``seen`` remembers the unique values earlier rows of the file set."""

    def __init__(self, fields: dict[str, FieldDef], seen: KeyIndex) -> None:
        self.fields = fields
        self.seen = seen
        self._now: dict[int, tuple[str, dict[int, Stored]]] = {}  # {device id: (category, {field id: value})}
        self._unique_taken: dict[tuple[int, str], int] = {}  # {(field id, unique text): device id}

    async def load(self, session: AsyncSession, device_ids: Sequence[int], records: Iterable[DeviceRecord]) -> None:
        """``device_ids``: the existing devices of rows with custom columns. Two queries, only when there are any."""
        self._now, self._unique_taken = {}, {}
        if device_ids:
            categories = await session.execute(
                sa.select(_devices.c.id, _models.c.category)
                .select_from(_devices.join(_models, _models.c.id == _devices.c.model_id))
                .where(_devices.c.id.in_(device_ids))
            )
            self._now = {device_id: (category, {}) for device_id, category in categories}
            for row in await session.execute(sa.select(_values).where(_values.c.device_id.in_(device_ids))):
                self._now[row.device_id][1][row.field_id] = Stored(**{c: getattr(row, c) for c in _STORED})
        wanted: dict[int, set[str]] = {}
        for record in records:
            for field, value in record.custom.items():
                if field.unique and value is not None:
                    wanted.setdefault(field.id, set()).add(unique_text(field.type, value))
        for field_id, texts in wanted.items():
            taken = await session.execute(
                sa.select(_values.c.unique_value, _values.c.device_id).where(
                    _values.c.field_id == field_id, _values.c.unique_value.in_(sorted(texts))
                )
            )
            self._unique_taken.update({(field_id, text): device_id for text, device_id in taken})

    def category(self, device_id: int) -> str:
        """The model category of an existing device ``load`` read."""
        return self._now[device_id][0]

    def changes(self, record: DeviceRecord, category: str, device_id: int | None) -> CustomChanges:
        """What the row's custom columns change on its device: a field of another category, a required field left
        blank (or missing from a new device), a unique value another device or an earlier row has are refused
        (MoveRefused naming the field)."""
        current = self._now.get(device_id, ("", {}))[1] if device_id is not None else {}
        changes: CustomChanges = {}
        for field, value in record.custom.items():
            if value is None:
                if field.required and field.applies_to(category):
                    raise MoveRefused(field.name, "is required")
            elif not field.applies_to(category):
                raise MoveRefused(field.name, f"is for {field.category} devices only")
            if current.get(field.id) == value:
                continue
            if value is not None and field.unique:
                text = unique_text(field.type, value)
                holder = self._unique_taken.get((field.id, text))
                if holder is not None and holder != device_id:
                    raise MoveRefused(field.name, f"device #{holder} already has {shown(field.type, value)}")
                first = self.seen.add(f"cf\0{field.id}\0{text}", record.row)
                if first is not None and first != record.row:
                    raise MoveRefused(field.name, f"row {first} has the same {field.name}; it is unique")
            changes[field] = value
        if device_id is None:
            for field in self.fields.values():
                if field.required and field.applies_to(category) and field not in record.custom:
                    raise MoveRefused(field.name, "is required")
        return changes


class _WithCustom(Protocol):
    device_id: int | None
    custom: CustomChanges


_DELETE_VALUE = sa.delete(_values).where(
    _values.c.device_id == sa.bindparam("d_id"), _values.c.field_id == sa.bindparam("f_id")
)


async def write_custom(
    session: AsyncSession, created: Iterable[_WithCustom], changed: Iterable[_WithCustom]
) -> list[list[Any]]:
    """The chunk's custom field values: the changed devices' old ones removed, then every value set inserted
    (executemany each). Returns [device id, field key, value] triples for the chunk's audit record."""
    removed: list[dict[str, Any]] = []
    inserted: list[dict[str, Any]] = []
    said: list[list[Any]] = []
    for items, existing in ((created, False), (changed, True)):
        for item in items:
            for field_def, value in item.custom.items():
                assert item.device_id is not None
                if existing:
                    removed.append({"d_id": item.device_id, "f_id": field_def.id})
                said.append([item.device_id, field_def.key, None if value is None else shown(field_def.type, value)])
                if value is not None:
                    unique = unique_text(field_def.type, value) if field_def.unique else None
                    inserted.append({"device_id": item.device_id, "field_id": field_def.id, "unique_value": unique,
                                     **value.columns()})  # fmt: skip
    if removed:
        await session.execute(_DELETE_VALUE, removed)
    if inserted:
        await session.execute(sa.insert(_values), inserted)
    return said
