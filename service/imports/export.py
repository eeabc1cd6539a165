"""Devices out as CSV in Kringloop's own import format, so an exported file imports back unchanged. Pure code.

The columns are the canonical names the importer reads (``reader.ALIASES``), the status column holds the device
state itself (``in_use``, ``retired`` ...), money is a decimal string ("1249.00") and dates are Y-m-d: the forms
the reader takes without any ``--date-order`` or ``--decimal-*`` hint.

Spreadsheet formulas (OWASP "CSV injection"): a cell a spreadsheet would run as a formula — one starting with
``= + - @``, a tab or a carriage return — gets a leading apostrophe, the spreadsheet's own "this is text" mark.
Only free-text columns are guarded: the others hold values Kringloop formats itself (dates, amounts, states,
grades, categories) and can never start like a formula. To keep the round trip lossless, a text that already
starts with an apostrophe gets a second one. ``unguard_text`` takes one apostrophe off only where one was put
(before a formula start or another apostrophe), so it restores every exported value and leaves a hand-typed
"'007" alone; it also undoes the same guard in other tools' exports (league/csv's EscapeFormula, used by
Snipe-IT, prefixes the same apostrophe).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from datetime import date
from typing import Any

from service.custom_fields.rules import FieldDef, FieldType, as_cell
from service.money import format_cents
from service.spreadsheet import guard_text

EXPORT_COLUMNS: tuple[str, ...] = (
    "asset_tag",
    "serial_number",
    "manufacturer",
    "model",
    "category",
    "purchase_date",
    "purchase_price",
    "supplier",
    "order_ref",
    "warranty_end",
    "location",
    "condition_grade",
    "notes",
    "status",
    "holder_email",
    "holder_name",
    # Last, so files written before companies existed (and the benchmark's) still line up with the header.
    "company",
    "cost_centre",
)

# Columns people type freely (or another system filled): the ones a formula could hide in.
TEXT_COLUMNS: frozenset[str] = frozenset(
    {
        "asset_tag",
        "serial_number",
        "manufacturer",
        "model",
        "supplier",
        "order_ref",
        "location",
        "notes",
        "holder_email",
        "holder_name",
        "company",
        "cost_centre",
    }
)

# Excel opens a UTF-8 CSV as its local code page unless the file starts with a byte order mark; the importer
# reads both, so the mark costs machines nothing and keeps names like "Anouk Müller" readable for people.
BOM = "\ufeff"


def _date(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def export_row(device: Any) -> list[str]:
    """One device row (the repository's export view: device columns plus model_name, category, holder_*,
    company_name), in the order of EXPORT_COLUMNS, with the columns of TEXT_COLUMNS guarded. A list built in place,
    not a dict per row: this runs once per device of the fleet."""
    return [
        guard_text(device.asset_tag or ""),
        guard_text(device.serial_number or ""),
        guard_text(device.manufacturer),
        guard_text(device.model_name),
        device.category,
        _date(device.purchase_date),
        format_cents(device.purchase_price_cents),
        guard_text(device.supplier or ""),
        guard_text(device.order_ref or ""),
        _date(device.warranty_end),
        guard_text(device.location or ""),
        device.condition_grade,
        guard_text(device.notes or ""),
        device.status,
        guard_text(device.holder_email or ""),
        guard_text(device.holder_name or ""),
        guard_text(device.company_name),
        guard_text(device.cost_centre or ""),
    ]


def custom_cells(fields: Sequence[FieldDef], values: dict[int, Any]) -> list[str]:
    """A device's custom field values in the order of ``fields``, as the importer reads them back; free text is
    guarded like the other text columns."""
    cells = []
    for field in fields:
        cell = as_cell(field.type, values.get(field.id))
        cells.append(guard_text(cell) if field.type is FieldType.text else cell)
    return cells


async def csv_chunks(
    pages: AsyncIterable[Sequence[Any]],
    on_rows: Callable[[int], None] | None = None,
    custom_fields: Sequence[FieldDef] = (),
) -> AsyncIterator[bytes]:
    """The header, then one chunk of UTF-8 CSV per page of devices: memory holds one page, never the file.

    With ``custom_fields`` each field is a column named as the field (the importer maps a column onto the field of
    that name), and each page holds (device, {field id: value}) pairs. ``on_rows(n)`` is told how many rows each
    chunk carried (for a progress bar).
    """
    buffer = io.StringIO()
    # RFC 4180 line ends; embedded newlines in notes are quoted by the writer and read back by the importer.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*EXPORT_COLUMNS, *(f.name for f in custom_fields)])
    yield (BOM + buffer.getvalue()).encode("utf-8")
    async for page in pages:
        buffer.seek(0)
        buffer.truncate()
        if custom_fields:
            writer.writerows(export_row(device) + custom_cells(custom_fields, values) for device, values in page)
        else:
            writer.writerows(export_row(device) for device in page)
        yield buffer.getvalue().encode("utf-8")
        if on_rows is not None:
            on_rows(len(page))
