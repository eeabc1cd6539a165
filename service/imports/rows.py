"""From a spreadsheet row to a device record the importer can write, or the reasons it cannot. Pure code.

Cells a spreadsheet guard marked as text (a leading apostrophe before "=", "+", "-", "@": our export and
Snipe-IT's both write it) are read back as they were (export.py, ``unguard_text``).

A record carries only what the row says: a column the file does not have leaves that field of an existing device
as it is; a blank cell in a column it does have means "empty" for text, "keep" for identifiers and dates.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from service.custom_fields.rules import BadValue, FieldDef, Stored, parse_value
from service.i18n import gettext
from service.imports.reader import CUSTOM_PREFIX, DateOrder, DecimalMark, RawRow, RowError, parse_number, read_date
from service.spreadsheet import TEXT_MARK, unguard_text

Format = Literal["kringloop", "snipeit"]

CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
IMPORTABLE_STATUSES = ("in_stock", "in_use", "in_repair", "retired", "lost")
# These need evidence an import cannot bring: wipe certificates, an accepted valuation, a disposal record.
NEVER_IMPORTED = ("wiped", "valued", "disposed")
LEFT_SERVICE = ("retired", "lost")

# Snipe-IT status labels are free text per installation; these are its defaults and the names people use most.
SNIPEIT_STATUSES: dict[str, str] = {
    "ready to deploy": "in_stock",
    "deployable": "in_stock",
    "deployed": "in_use",
    "checked out": "in_use",
    "pending": "in_repair",
    "pending diagnostics": "in_repair",
    "out for diagnostics": "in_repair",
    "out for repair": "in_repair",
    "undeployable": "in_repair",
    "broken": "in_repair",
    "broken - not fixable": "in_repair",
    "lost": "lost",
    "stolen": "lost",
    "lost/stolen": "lost",
    "archived": "retired",
}

_CATEGORY_ALIASES: dict[str, str] = {
    **{c: c for c in CATEGORIES},
    "notebook": "laptop",
    "macbook": "laptop",
    "chromebook": "laptop",
    "mobile": "phone",
    "mobile phone": "phone",
    "smartphone": "phone",
    "cell phone": "phone",
    "cellphone": "phone",
    "ipad": "tablet",
    "pc": "desktop",
    "workstation": "desktop",
    "desktop computer": "desktop",
    "display": "monitor",
    "screen": "monitor",
}

# The database's column sizes (service/devices/models.py and friends): a longer value is refused, not cut.
MAX_LENGTHS = {
    "asset_tag": 64,
    "serial_number": 128,
    "manufacturer": 100,
    "model": 200,
    "supplier": 200,
    "order_ref": 100,
    "location": 200,
    "notes": 10_000,
    "holder": 200,
    "company": 200,
    "cost_centre": 64,
    "model_notes": 2_000,
    "checked_out_location": 200,
}
# No cell at most this long can be over its limit: the per-column check runs only for a row with a longer one.
_SHORTEST_LIMIT = min(MAX_LENGTHS.values())
_TEXT_FIELDS = ("supplier", "order_ref", "location", "notes", "cost_centre")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CENT = Decimal("0.01")
# Most cells are already plain: these skip the general parsers (about a third of a row's reading time).
_PLAIN_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOLDER_COLUMNS = frozenset(("holder_email", "holder_name", "holder_first_name", "holder_last_name", "holder_username"))
CHECKOUT_TYPES = ("user", "location", "asset")
# Columns Kringloop has no field for yet, kept as "Label: value" lines in the device's notes rather than dropped.
NOTE_LINE_LABELS = {"eol_date": "EOL date", "model_notes": "Model notes"}
_NOTE_COLUMNS = frozenset(NOTE_LINE_LABELS)


@dataclass(frozen=True)
class RowRules:
    format: Format
    today: date
    max_purchase_price_cents: int
    date_order: DateOrder = None
    decimal_mark: DecimalMark = None
    # Custom fields by key: columns named as one are read into it (reader.custom_columns).
    custom_fields: dict[str, FieldDef] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HolderRef:
    """Who holds the device, as the file names them: found by email, else by name or username."""

    email: str | None = None
    name: str | None = None
    username: str | None = None

    def describe(self) -> str:
        return self.email or self.name or self.username or "?"


@dataclass(slots=True)
class DeviceRecord:
    row: int
    asset_tag: str | None
    serial_number: str | None
    manufacturer: str | None
    model: str | None
    category: str  # for a model the import has to create
    # Device columns the row sets; columns the file lacks are absent and keep what an existing device has.
    fields: dict[str, Any]
    status: str | None  # the status asked for; None leaves it to the holder (or as it is)
    holder: HolderRef | None
    holder_given: bool  # the file has a holder column, so a blank one means "no holder"
    unknown_category: str | None = None
    unknown_status: str | None = None
    notes: list[str] = field(default_factory=list)
    # (label, value) lines the device's notes must carry (NOTE_LINE_LABELS); see ``with_note_lines``.
    note_lines: tuple[tuple[str, str], ...] = ()
    # The custom field columns the file has: a value, or None for a blank cell (which clears it).
    custom: dict[FieldDef, Stored | None] = field(default_factory=dict)
    # The company the row names, spaces collapsed (plan.py finds it by name); None: no column or a blank cell,
    # which leaves an existing device where it is and puts a new one in the default company.
    company: str | None = None


def with_note_lines(notes: str, lines: tuple[tuple[str, str], ...]) -> str:
    """``notes`` with each "Label: value" line set: a line with that label is replaced, else one is appended, so
    importing the same file again (or its export) changes nothing."""
    if not lines:
        return notes
    kept = notes.splitlines()
    for label, value in lines:
        line = f"{label}: {value}"
        at = next((i for i, text in enumerate(kept) if text.startswith(f"{label}: ")), None)
        if at is None:
            kept.append(line)
        else:
            kept[at] = line
    return "\n".join(kept)


@functools.lru_cache(maxsize=4096)
def category_of(text: str) -> tuple[str, bool]:
    """(category, known): "Laptops" -> laptop; an unknown name -> other, to be listed in the report."""
    key = re.sub(r"\s+", " ", text.strip().lower())
    if not key:
        return "other", True
    found = _CATEGORY_ALIASES.get(key) or (_CATEGORY_ALIASES.get(key[:-1]) if key.endswith("s") else None)
    return (found, True) if found else ("other", False)


@functools.lru_cache(maxsize=4096)
def _status_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _kringloop_status(text: str, errors: list[RowError]) -> str | None:
    key = _status_key(text).replace(" ", "_")
    if not key:
        return None
    if key not in IMPORTABLE_STATUSES and key not in NEVER_IMPORTED:
        errors.append(
            RowError(
                "status",
                gettext('"{text}" is not a status; use one of {IMPORTABLE_STATUSES}').format(
                    text=text, IMPORTABLE_STATUSES=", ".join(IMPORTABLE_STATUSES)
                ),
            )
        )
        return None
    # wiped, valued and disposed pass: a device already in that state comes back unchanged (an export's round
    # trip); moves.py refuses them for any other device.
    return key


def _holder(values: dict[str, str], errors: list[RowError]) -> HolderRef | None:
    email = values.get("holder_email", "").lower() or None
    username = values.get("holder_username") or None
    name = values.get("holder_name") or None
    if not name:
        first, last = values.get("holder_first_name", ""), values.get("holder_last_name", "")
        name = (f"{first} {last}" if first and last else first or last) or None
    if username and "@" in username and not email:
        email, username = username.lower(), None
    if email and not _EMAIL.match(email):
        errors.append(RowError("holder", gettext('"{email}" is not an email address').format(email=email)))
        return None
    for text in (email, name, username):
        if text and len(text) > MAX_LENGTHS["holder"]:
            errors.append(
                RowError("holder", gettext("is longer than {holder} characters").format(holder=MAX_LENGTHS["holder"]))
            )
            return None
    if not (email or name or username):
        return None
    return HolderRef(email=email, name=name, username=username)


def _price(text: str, rules: RowRules, errors: list[RowError]) -> int | None:
    if rules.decimal_mark != "comma" and _PLAIN_AMOUNT.fullmatch(text):
        # Digits with at most two decimals: whole cents, never negative, no Decimal needed.
        whole, _, fraction = text.partition(".")
        cents = int(whole) * 100 + (int(fraction) * (10 if len(fraction) == 1 else 1) if fraction else 0)
        return _within_limit(cents, text, rules, errors)
    try:
        amount = parse_number(text, rules.decimal_mark)
    except ValueError as exc:
        errors.append(RowError("purchase_price", str(exc)))
        return None
    if amount < 0:
        errors.append(RowError("purchase_price", gettext('"{text}" is negative').format(text=text)))
        return None
    try:
        exact = amount == amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than Decimal's 28 can hold in cents: far past the limit, said below
        exact = True
    if not exact:
        errors.append(RowError("purchase_price", gettext('"{text}" has more than two decimals').format(text=text)))
        return None
    return _within_limit(int(amount * 100), text, rules, errors)


def _within_limit(cents: int, text: str, rules: RowRules, errors: list[RowError]) -> int | None:
    if cents > rules.max_purchase_price_cents:
        limit = f"{rules.max_purchase_price_cents // 100}.{rules.max_purchase_price_cents % 100:02d}"
        errors.append(
            RowError(
                "purchase_price",
                gettext('"{text}" is above the plausible maximum of {limit}').format(text=text, limit=limit),
            )
        )
        return None
    return cents


def _date(name: str, text: str, rules: RowRules, errors: list[RowError], raw: RawRow) -> date | None:
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # "2024-13-01": read_date says what is wrong
    try:
        found, two_digit_year = read_date(text, rules.date_order)
    except ValueError as exc:
        errors.append(RowError(name, str(exc)))
        return None
    if two_digit_year:
        order = "d/m/y" if rules.date_order == "dmy" else "m/d/y"
        raw.notes.append(f'{name} "{text}" read as {found.isoformat()} ({order}, two-digit year)')
        raw.read_as.add("two_digit_year")
    return found


def _add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def _dates(
    values: dict[str, str], rules: RowRules, fields: dict[str, Any], errors: list[RowError], raw: RawRow
) -> None:
    purchase = (
        _date("purchase_date", values["purchase_date"], rules, errors, raw) if values.get("purchase_date") else None
    )
    if purchase is not None:
        if purchase > rules.today:
            errors.append(
                RowError("purchase_date", gettext("{day} is in the future").format(day=purchase.isoformat()))
            )
        elif purchase.year < 1990:
            errors.append(
                RowError("purchase_date", gettext("{day} is before 1990").format(day=purchase.isoformat()))
            )
        else:
            fields["purchase_date"] = purchase
    warranty_end: date | None = None
    if values.get("warranty_end"):
        warranty_end = _date("warranty_end", values["warranty_end"], rules, errors, raw)
    elif values.get("warranty_months"):
        months_text = values["warranty_months"].lower().removesuffix("months").removesuffix("month").strip()
        if not months_text.isdigit() or int(months_text) > 240:
            errors.append(
                RowError(
                    "warranty_months",
                    gettext('"{warranty_months}" is not a number of months').format(
                        warranty_months=values["warranty_months"]
                    ),
                )
            )
        elif purchase is None:
            errors.append(RowError("warranty_months", gettext("needs a purchase date in the same row")))
        else:
            warranty_end = _add_months(purchase, int(months_text))
    if warranty_end is not None:
        if purchase is not None and warranty_end < purchase:
            errors.append(RowError("warranty_end", gettext("is before the purchase date")))
        else:
            fields["warranty_end"] = warranty_end
    elif "warranty_end" in values and "warranty_months" not in values:
        fields["warranty_end"] = None  # the file has the column and it is blank: no warranty end


def _checkout(values: dict[str, str], fields: dict[str, Any], notes: list[str], errors: list[RowError]) -> bool:
    """Snipe-IT checks an asset out to a user, a location or another asset; Kringloop lends devices to people.
    Checked out to a location, the device is registered there without a holder. True when no person holds it."""
    kind = values.get("checkout_type", "").strip().lower()
    if kind and kind not in CHECKOUT_TYPES:
        errors.append(RowError("checkout_type", f'"{values["checkout_type"]}" is not User, Location or Asset'))
        return False
    place = values.get("checked_out_location", "")
    if kind == "location" or (place and not kind):
        if place:
            fields["location"] = place
        notes.append(f'checked out to location "{place}": registered there, with no holder')
        return True
    if kind == "asset":
        notes.append("checked out to another asset: registered with no holder")
        return True
    return False


def _status_and_holder(
    values: dict[str, str], rules: RowRules, record_notes: list[str], errors: list[RowError], no_person: bool
) -> tuple[str | None, HolderRef | None, bool, str | None]:
    holder_given = no_person or not _HOLDER_COLUMNS.isdisjoint(values)
    holder = None if no_person else _holder(values, errors)
    text = values.get("status", "")
    unknown = None
    if rules.format == "snipeit":
        status = SNIPEIT_STATUSES.get(_status_key(text)) if text else None
        if text and status is None:
            status, unknown = "in_stock", text
        # Snipe-IT keeps the label ("Ready to Deploy") on a checked-out asset; the holder says it is in use.
        if status in (None, "in_stock") and holder is not None:
            status = "in_use"
        elif status == "in_use" and holder is None and holder_given:
            status = "in_stock"
            record_notes.append(f'status "{text}" without a holder: in stock')
        elif status in LEFT_SERVICE and holder is not None:
            record_notes.append(f"{holder.describe()} not kept as holder: a {status} device has no holder")
            holder = None
        return status, holder, holder_given, unknown
    status = _kringloop_status(text, errors)
    if (status in LEFT_SERVICE or status in NEVER_IMPORTED) and holder is not None:
        errors.append(
            RowError("holder", gettext("a {status} device has no holder; leave it blank").format(status=status))
        )
    elif status == "in_stock" and holder is not None:
        errors.append(
            RowError("holder", gettext("a device in stock has no holder; use status in_use, or leave it blank"))
        )
    elif status == "in_use" and holder is None and holder_given:
        errors.append(RowError("holder", gettext("a device in use needs a holder")))
    return status, holder, holder_given, unknown


def read_record(raw: RawRow, rules: RowRules) -> DeviceRecord | list[RowError]:
    """The row as a record, or every problem with it at once so the person fixes them in one go."""
    values = raw.values
    if TEXT_MARK in "".join(values.values()):  # one C-level scan; most rows have no apostrophe at all
        values = {k: unguard_text(v) for k, v in values.items()}
    errors: list[RowError] = list(raw.errors)
    if values and len(max(values.values(), key=len)) > _SHORTEST_LIMIT:
        for name, value in values.items():
            limit = MAX_LENGTHS.get(name)
            if limit is not None and len(value) > limit:
                errors.append(RowError(name, gettext("is longer than {limit} characters").format(limit=limit)))
    asset_tag = values.get("asset_tag") or None
    serial = values.get("serial_number") or None
    if not asset_tag and not serial:
        errors.append(RowError("asset_tag", gettext("give an asset tag or a serial number (or both)")))
    fields: dict[str, Any] = {name: values[name] for name in _TEXT_FIELDS if name in values}
    if values.get("purchase_price"):
        cents = _price(values["purchase_price"], rules, errors)
        if cents is not None:
            fields["purchase_price_cents"] = cents
    _dates(values, rules, fields, errors, raw)
    grade = values.get("condition_grade", "").upper()
    if grade:
        if grade in ("A", "B", "C", "D"):
            fields["condition_grade"] = grade
        else:
            errors.append(
                RowError(
                    "condition_grade",
                    gettext('"{condition_grade}" is not a grade; use A, B, C or D').format(
                        condition_grade=values["condition_grade"]
                    ),
                )
            )
    category, known = category_of(values.get("category", ""))
    notes: list[str] = []
    no_person = _checkout(values, fields, notes, errors)
    status, holder, holder_given, unknown_status = _status_and_holder(values, rules, notes, errors, no_person)
    note_lines = () if _NOTE_COLUMNS.isdisjoint(values) else _note_lines(values, rules, errors, raw)
    custom = _custom_values(values, rules, errors) if rules.custom_fields else {}
    if note_lines:
        raw.read_as.add("extra_columns")
    if errors:
        return errors
    return DeviceRecord(
        row=raw.number,
        asset_tag=asset_tag,
        serial_number=serial,
        manufacturer=values.get("manufacturer") or None,
        model=values.get("model") or values.get("model_number") or None,
        category=category,
        fields=fields,
        status=status,
        holder=holder,
        holder_given=holder_given,
        unknown_category=None if known else values.get("category"),
        unknown_status=unknown_status,
        notes=notes,
        note_lines=note_lines,
        custom=custom,
        company=" ".join(values.get("company", "").split()) or None,
    )


def _custom_values(values: dict[str, str], rules: RowRules, errors: list[RowError]) -> dict[FieldDef, Stored | None]:
    found: dict[FieldDef, Stored | None] = {}
    for column, text in values.items():
        if not column.startswith(CUSTOM_PREFIX):
            continue
        field = rules.custom_fields.get(column[len(CUSTOM_PREFIX):])
        if field is None:
            continue
        try:
            found[field] = parse_value(field, text)
        except BadValue as exc:
            errors.append(RowError(field.name, str(exc)))
    return found


def _note_lines(
    values: dict[str, str], rules: RowRules, errors: list[RowError], raw: RawRow
) -> tuple[tuple[str, str], ...]:
    lines = []
    for column, label in NOTE_LINE_LABELS.items():
        text = " ".join(values.get(column, "").split())  # one line: a newline would split the label from its value
        if not text:
            continue
        if column == "eol_date":
            found = _date("eol_date", text, rules, errors, raw)
            if found is None:
                continue
            text = found.isoformat()
        lines.append((label, text))
    return tuple(lines)


def missing_for_create(record: DeviceRecord) -> list[RowError]:
    """What a row must say before the import may register a new device with it."""
    errors = []
    if not record.manufacturer:
        errors.append(RowError("manufacturer", gettext("is needed to register a new device")))
    if not record.model:
        errors.append(RowError("model", gettext("is needed to register a new device")))
    if "purchase_date" not in record.fields:
        errors.append(RowError("purchase_date", gettext("is needed to register a new device")))
    if "purchase_price_cents" not in record.fields:
        errors.append(RowError("purchase_price", gettext("is needed to register a new device")))
    return errors
