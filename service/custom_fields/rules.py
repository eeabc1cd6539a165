"""Custom fields: what each type accepts, how a value is stored and shown, and the list filters. Pure code.

A value is kept typed (text, a number, a date or a yes/no) so that filtering a large fleet on one field is an
index range scan on PostgreSQL and SQLite alike (models.py says why not JSON). Numbers are exact: a whole number
of ten-thousandths, never a float, so what was typed is what comes back out and an export's round trip holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from service.i18n import N_, gettext

NUMBER_SCALE = 10_000  # four decimals: enough for inches, gigabytes, kWh; a fifth is refused, not rounded
NUMBER_LIMIT = 10**14  # |value| below 10^14 keeps the scaled integer inside BIGINT with room to spare
MAX_TEXT = 500
MAX_CHOICES = 100
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
FILTER_PREFIX = "cf."
RANGE_OPERATORS = ("gte", "lte")
_TRUE = frozenset({"true", "yes", "ja", "1", "y", "on"})
_FALSE = frozenset({"false", "no", "nee", "0", "n", "off"})


class FieldType(StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"
    boolean = "boolean"

    @property
    def label(self) -> str:
        return gettext(_LABELS[self])

    @property
    def column(self) -> str:
        """The value table's column this type is kept in."""
        return _COLUMNS[self]


_LABELS = {FieldType.text: N_("Text"), FieldType.number: N_("Number"), FieldType.date: N_("Date"),
           FieldType.choice: N_("Choice"), FieldType.boolean: N_("Yes/no")}  # fmt: skip
_COLUMNS = {FieldType.text: "text_value", FieldType.choice: "text_value", FieldType.number: "number_value",
            FieldType.date: "date_value", FieldType.boolean: "bool_value"}  # fmt: skip
RANGED = frozenset({FieldType.number, FieldType.date})


@dataclass(frozen=True)
class FieldDef:
    """A custom field as the rules need it (the table row carries more: who made it, when, its version)."""

    id: int
    key: str
    name: str
    type: FieldType
    required: bool = False
    unique: bool = False
    choices: tuple[str, ...] = ()
    category: str | None = None  # None: every category

    def applies_to(self, category: str) -> bool:
        return self.category is None or self.category == category


@dataclass(frozen=True)
class Stored:
    """A value as the value table keeps it: exactly one of these is set."""

    text_value: str | None = None
    number_value: int | None = None
    date_value: date | None = None
    bool_value: bool | None = None

    def of(self, field_type: FieldType) -> Any:
        return getattr(self, field_type.column)

    def columns(self) -> dict[str, Any]:
        """The value table's columns for this value, the folded text included."""
        return {"text_value": self.text_value, "text_folded": fold(self.text_value), "number_value": self.number_value,
                "date_value": self.date_value, "bool_value": self.bool_value}  # fmt: skip


def fold(text: str | None) -> str | None:
    return None if text is None else text.lower()


class BadValue(ValueError):
    """The message says what the field accepts, for the person who typed the value."""


def key_of(name: str) -> str:
    """The key a field is known by in the API, filters and exports: "Keyboard layout" -> keyboard_layout."""
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")
    if key and not key[0].isalpha():
        key = f"f_{key}"
    return key[:48]


def parse_number(text: str) -> int:
    cleaned = text.strip().replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma, as every other form here takes it
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue(gettext('"{value}" is not a number').format(value=text)) from None
    if not number.is_finite():
        raise BadValue(gettext('"{value}" is not a number').format(value=text))
    scaled = number * NUMBER_SCALE
    if scaled != scaled.to_integral_value():
        raise BadValue(gettext('"{value}" has more than four decimals').format(value=text))
    if abs(number) >= NUMBER_LIMIT:
        raise BadValue(gettext('"{value}" is too large').format(value=text))
    return int(scaled)


def format_number(scaled: int) -> str:
    """The shortest exact text: 156000 -> "15.6", 80000 -> "8"."""
    text = format(Decimal(scaled) / NUMBER_SCALE, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_value(field: FieldDef, raw: Any) -> Stored | None:
    """The typed value of what was given (a string from a form or CSV, or a JSON value); None for empty.
    Raises BadValue naming what the field accepts."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = field.type
    if kind is FieldType.boolean:
        if isinstance(raw, bool):
            return Stored(bool_value=raw)
        word = str(raw).strip().lower()
        if word in _TRUE or word in _FALSE:
            return Stored(bool_value=word in _TRUE)
        raise BadValue(gettext('"{value}" is not yes or no').format(value=raw))
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise BadValue(gettext("give {type} as text").format(type=kind.label.lower()))
    text = str(raw).strip()
    if kind is FieldType.number:
        return Stored(number_value=parse_number(text))
    if kind is FieldType.date:
        try:
            return Stored(date_value=date.fromisoformat(text))
        except ValueError:
            raise BadValue(gettext('"{value}" is not a date (use YYYY-MM-DD)').format(value=text)) from None
    if len(text) > MAX_TEXT:
        raise BadValue(gettext("is longer than {n} characters").format(n=MAX_TEXT))
    if kind is FieldType.choice:
        # Choices match regardless of case, and are stored as the field spells them.
        found = next((c for c in field.choices if c.lower() == text.lower()), None)
        if found is None:
            choices = ", ".join(field.choices)
            raise BadValue(gettext('"{value}" is not one of {choices}').format(value=text, choices=choices))
        return Stored(text_value=found)
    return Stored(text_value=text)


def shown(field_type: FieldType, stored: Stored) -> Any:
    """A value for JSON: text and choices as strings, numbers as exact decimal strings, dates ISO, booleans."""
    value = stored.of(field_type)
    if value is None:
        return None
    if field_type is FieldType.number:
        return format_number(value)
    if field_type is FieldType.date:
        return value.isoformat()
    return value


def as_cell(field_type: FieldType, stored: Stored | None) -> str:
    """A value as a CSV cell the importer reads back to the same value."""
    if stored is None:
        return ""
    value = shown(field_type, stored)
    if field_type is FieldType.boolean:
        return "yes" if value else "no"
    return "" if value is None else str(value)


def unique_text(field_type: FieldType, stored: Stored) -> str:
    """The value's canonical text, for the unique index of a unique field (case-insensitive for text)."""
    value = stored.of(field_type)
    if field_type in (FieldType.text, FieldType.choice):
        return str(value).lower()
    return as_cell(field_type, stored)


def fits(new: FieldDef, old_type: FieldType, stored: Stored) -> bool:
    """Whether a value kept under ``old_type`` reads as a value of the changed field ``new``."""
    try:
        return parse_value(new, as_cell(old_type, stored)) is not None
    except BadValue:
        return False


def check_choices(choices: list[str]) -> tuple[str, ...]:
    cleaned = [c.strip() for c in choices if c.strip()]
    if not cleaned:
        raise BadValue(gettext("a choice field needs at least one choice"))
    if len(cleaned) > MAX_CHOICES:
        raise BadValue(gettext("at most {n} choices").format(n=MAX_CHOICES))
    lowered = [c.lower() for c in cleaned]
    if len(set(lowered)) != len(lowered):
        raise BadValue(gettext("each choice may appear once"))
    if any(len(c) > MAX_TEXT for c in cleaned):
        raise BadValue(gettext("a choice is longer than {n} characters").format(n=MAX_TEXT))
    return tuple(cleaned)


@dataclass(frozen=True)
class FieldFilter:
    field: FieldDef
    equals: Stored | None = None
    gte: Stored | None = None
    lte: Stored | None = None


def parse_filters(params: dict[str, str], fields: dict[str, FieldDef]) -> list[FieldFilter]:
    """``cf.<key>=value`` (equality) and ``cf.<key>.gte`` / ``cf.<key>.lte`` (ranges on numbers and dates) from a
    query string. Raises BadValue with the parameter's name first, so the caller can name the field."""
    wanted: dict[str, dict[str, Stored | None]] = {}
    for name, raw in params.items():
        if not name.startswith(FILTER_PREFIX):
            continue
        rest = name[len(FILTER_PREFIX) :]
        key, _, operator = rest.partition(".")
        field = fields.get(key)
        if field is None:
            raise BadValue(gettext("{name}: no custom field has the key {key}").format(name=name, key=repr(key)))
        if operator and operator not in RANGE_OPERATORS:
            raise BadValue(gettext("{name}: use cf.{key}, cf.{key}.gte or cf.{key}.lte").format(name=name, key=key))
        if operator and field.type not in RANGED:
            raise BadValue(gettext("{name}: only number and date fields filter by a range").format(name=name))
        try:
            value = parse_value(field, raw)
        except BadValue as exc:
            raise BadValue(f"{name}: {exc}") from None
        if value is None:
            continue
        wanted.setdefault(key, {})[operator or "equals"] = value
    return [FieldFilter(fields[key], **ops) for key, ops in wanted.items()]  # type: ignore[arg-type]


def values_json(fields: dict[str, FieldDef], stored: dict[int, Stored]) -> dict[str, Any]:
    """A device's values by key, for its JSON (fields it has no value for are left out)."""
    by_id = {f.id: f for f in fields.values()}
    return {by_id[fid].key: shown(by_id[fid].type, value) for fid, value in stored.items() if fid in by_id}
