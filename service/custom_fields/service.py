"""Custom fields: an admin defines them; every path that writes a device (API, pages, import) sets their values
through ``set_values``, so each is validated the same way."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.context import Actor
from service.custom_fields import repository
from service.custom_fields.models import CustomField
from service.custom_fields.rules import (
    KEY_PATTERN,
    BadValue,
    FieldDef,
    FieldType,
    Stored,
    as_cell,
    check_choices,
    fits,
    key_of,
    parse_value,
    shown,
    unique_text,
)
from service.custom_fields.schemas import FieldCreate, FieldUpdate
from service.editing import apply_changes, expect_version, patch_changes
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import _, ngettext


def _field_errors(field: str, exc: BadValue) -> InvalidInput:
    return InvalidInput.field(field, str(exc))


async def create_field(session: AsyncSession, actor: Actor, data: FieldCreate) -> CustomField:
    key = data.key.strip().lower() if data.key else key_of(data.name)
    if not KEY_PATTERN.match(key):
        raise InvalidInput.field(
            "key", _("use lower-case letters, digits and _, starting with a letter (at most {n})").format(n=48)
        )
    choices: tuple[str, ...] = ()
    if data.type is FieldType.choice:
        try:
            choices = check_choices(data.choices)
        except BadValue as exc:
            raise _field_errors("choices", exc) from None
    elif data.choices:
        raise InvalidInput.field("choices", _("only a choice field has choices"))
    if await repository.name_or_key_taken(session, data.name, key, None):
        raise Conflict(
            _("A custom field named {name} or with key {key} exists already.").format(
                name=repr(data.name), key=repr(key)
            ),
            errors=[{"field": "name", "message": _("is already used by another field")}],
        )
    field = CustomField(
        key=key,
        name=data.name,
        type=data.type.value,
        category=data.category,
        required=data.required,
        unique=data.unique,
        help_text=data.help_text,
        choices=list(choices),
    )
    session.add(field)
    await session.flush()
    await audit.record(session, actor, "custom_field.create", "custom_field", field.id, after=audit.snapshot(field))
    return field


async def update_field(session: AsyncSession, actor: Actor, field_id: int, data: FieldUpdate) -> CustomField:
    """A changed type or uniqueness is checked against the values already kept: refused, with the number of values
    that would not fit, or applied to every value in the same transaction."""
    field = await get_field(session, field_id)
    expect_version(field, data.version, "custom field")
    changes = patch_changes(data, CustomField)
    new_type = FieldType(changes.get("type", field.type))
    if "choices" in changes or new_type is FieldType.choice:
        try:
            given = changes.get("choices", field.choices)
            changes["choices"] = list(check_choices(given)) if new_type is FieldType.choice else []
        except BadValue as exc:
            raise _field_errors("choices", exc) from None
    if "name" in changes and await repository.name_or_key_taken(session, changes["name"], field.key, field.id):
        raise Conflict(
            _("A custom field named {name} exists already.").format(name=repr(changes["name"])),
            errors=[{"field": "name", "message": _("is already used by another field")}],
        )
    old = repository.definition(field)
    new = FieldDef(
        id=field.id,
        key=field.key,
        name=changes.get("name", field.name),
        type=new_type,
        required=changes.get("required", field.required),
        unique=changes.get("unique", field.unique),
        choices=tuple(changes.get("choices", field.choices)),
        category=changes.get("category", field.category),
    )
    if new.type != old.type or new.choices != old.choices or new.unique != old.unique:
        await _convert_values(session, old, new)
    before, after = apply_changes(field, changes)
    if after:
        await session.flush()
        await audit.record(session, actor, "custom_field.update", "custom_field", field.id, before=before, after=after)
    return field


async def _convert_values(session: AsyncSession, old: FieldDef, new: FieldDef) -> None:
    stored = await repository.stored_values(session, old.id)
    misfits = [device_id for device_id, value in stored if not fits(new, old.type, value)]
    if misfits:
        what = (
            _("a {type} field").format(type=new.type.label.lower()) if new.type != old.type else _("these choices")
        )
        devices = ", ".join(str(d) for d in misfits[:10]) + (" …" if len(misfits) > 10 else "")
        raise Conflict(
            ngettext(
                "{n} of the {total} values kept for {field} would not fit {what} (device {devices}). "
                "Correct or clear it first.",
                "{n} of the {total} values kept for {field} would not fit {what} (devices {devices}). "
                "Correct or clear them first.",
                len(misfits),
            ).format(n=len(misfits), total=len(stored), field=old.name, what=what, devices=devices),
            errors=[
                {
                    "field": "type",
                    "message": ngettext("{n} value would not fit", "{n} values would not fit", len(misfits)).format(
                        n=len(misfits)
                    ),
                }
            ],
            misfits=len(misfits),
        )
    rows = []
    for device_id, value in stored:
        converted = parse_value(new, as_cell(old.type, value))
        assert converted is not None
        unique = unique_text(new.type, converted) if new.unique else None
        rows.append({"device_id": device_id, "unique_value": unique, **converted.columns()})
    if new.unique:
        repeated = [v for v, n in Counter(r["unique_value"] for r in rows).items() if n > 1]
        if repeated:
            raise Conflict(
                ngettext(
                    "{n} value of {field} is used by more than one device, so it cannot be unique ({example}).",
                    "{n} values of {field} are used by more than one device, so it cannot be unique "
                    "(e.g. {example}).",
                    len(repeated),
                ).format(n=len(repeated), field=old.name, example=repr(repeated[0])),
                errors=[
                    {
                        "field": "unique",
                        "message": ngettext(
                            "{n} value is used more than once", "{n} values are used more than once", len(repeated)
                        ).format(n=len(repeated)),
                    }
                ],
            )
    await repository.rewrite_values(session, old.id, rows)


async def delete_field(session: AsyncSession, actor: Actor, field_id: int) -> None:
    field = await get_field(session, field_id)
    values = await repository.count_values(session, field_id)
    before = {**audit.snapshot(field), "values_removed": values}
    await session.delete(field)
    await session.flush()
    await audit.record(session, actor, "custom_field.delete", "custom_field", field_id, before=before)


async def get_field(session: AsyncSession, field_id: int) -> CustomField:
    field = await repository.get_field(session, field_id)
    if field is None:
        raise NotFound(_("No custom field has id {id}.").format(id=field_id))
    return field


def check_values(
    fields: dict[str, FieldDef], category: str, given: dict[str, Any], *, creating: bool, prefix: str = "custom_fields"
) -> tuple[dict[FieldDef, Stored | None], list[dict[str, str]]]:
    """What ``given`` ({key: raw value}) asks to set, typed, and every problem with it (pure: no I/O)."""
    errors: list[dict[str, str]] = []
    wanted: dict[FieldDef, Stored | None] = {}
    for key, raw in given.items():
        field = fields.get(key)
        if field is None:
            errors.append({"field": f"{prefix}.{key}", "message": _("is not a custom field")})
            continue
        if not field.applies_to(category):
            only = _("is for {category} devices only").format(category=field.category)
            errors.append({"field": f"{prefix}.{key}", "message": only})
            continue
        try:
            wanted[field] = parse_value(field, raw)
        except BadValue as exc:
            errors.append({"field": f"{prefix}.{key}", "message": str(exc)})
            continue
        if wanted[field] is None and field.required:
            errors.append({"field": f"{prefix}.{key}", "message": _("is required")})
    if creating:
        for field in fields.values():
            if field.required and field.applies_to(category) and field.key not in given:
                errors.append({"field": f"{prefix}.{field.key}", "message": _("is required")})
    return wanted, errors


async def set_values(
    session: AsyncSession, device_id: int, category: str, given: dict[str, Any] | None, *, creating: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validates and writes a device's custom field values; (before, after) of what changed, for the device's
    audit record. Raises InvalidInput naming every bad field, or Conflict for a unique value another device has."""
    fields = await repository.definitions(session)
    if not fields:
        if given:
            raise InvalidInput(
                _("No custom fields are defined."),
                errors=[{"field": f"custom_fields.{k}", "message": _("is not a custom field")} for k in given],
            )
        return {}, {}
    wanted, errors = check_values(fields, category, given or {}, creating=creating)
    if errors:
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    current = (await repository.values_of(session, [device_id])).get(device_id, {})
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, stored in wanted.items():
        old = current.get(field.id)
        if old == stored:
            continue
        unique = unique_text(field.type, stored) if (stored is not None and field.unique) else None
        if unique is not None:
            holder = await repository.unique_holder(session, field.id, unique, device_id)
            if holder is not None:
                raise Conflict(
                    _("Device {device} already has {field} {value}.").format(
                        device=holder, field=field.name, value=repr(shown(field.type, stored))
                    ),
                    errors=[
                        {"field": f"custom_fields.{field.key}", "message": _("is already used by another device")}
                    ],
                )
        await repository.put_value(session, device_id, field.id, stored, unique)
        before[field.key] = None if old is None else shown(field.type, old)
        after[field.key] = None if stored is None else shown(field.type, stored)
    return before, after
