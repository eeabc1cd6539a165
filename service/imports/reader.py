"""Reading device spreadsheets as people really write them. Pure code: bytes in, typed rows out.

- UTF-8 (with or without BOM) or Windows-1252, comma or semicolon, LF / CRLF / CR line endings.
- A header row matched case-insensitively, with aliases (Kringloop's own columns and Snipe-IT's).
- Numbers "1234.56", "1,234.56", "1.234,56"; "1,234" reads two ways and is refused unless told which.
- Dates: Y-m-d always; with "/" the order is m/d/Y, with "-" or "." it is d-m-Y, unless told otherwise.
Rows stream: memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO, Literal

from service.i18n import gettext

DecimalMark = Literal["comma", "point"] | None
DateOrder = Literal["dmy", "mdy"] | None

SNIFF_BYTES = 1 << 20

# Canonical field -> accepted header spellings (compared lower-cased, spaces collapsed).
ALIASES: dict[str, tuple[str, ...]] = {
    "asset_tag": ("asset_tag", "asset tag", "tag", "property number"),
    "serial_number": ("serial_number", "serial number", "serial", "serial no", "serialnumber"),
    "manufacturer": ("manufacturer", "make", "brand", "vendor"),
    "model": ("model", "model name", "model_name"),
    "model_number": ("model number", "model no.", "model_number"),
    "category": ("category",),
    "purchase_date": ("purchase_date", "purchase date", "purchased"),
    "purchase_price": ("purchase_price", "purchase cost", "purchase price", "cost", "price"),
    "supplier": ("supplier",),
    "order_ref": ("order_ref", "order number", "order ref", "order"),
    "warranty_months": ("warranty", "warranty months", "warranty_months"),
    "warranty_end": ("warranty_end", "warranty end"),
    "location": ("location",),
    "condition_grade": ("condition_grade", "condition", "grade"),
    "notes": ("notes", "asset notes"),
    "status": ("status", "status label"),
    "holder_email": ("holder_email", "checked out to: email", "email", "assigned to email"),
    "holder_name": ("holder_name", "checked out to", "assigned to", "holder"),
    "holder_first_name": ("checked out to: first name", "first name"),
    "holder_last_name": ("checked out to: last name", "last name"),
    "holder_username": ("checked out to: username", "username"),
    "name": ("name", "asset name"),
    "company": ("company",),
}


def _normalise_header(text: str) -> str:
    # "Purchase_Cost", "purchase cost" and " PURCHASE  COST " are the same column.
    return re.sub(r"[\s_]+", " ", text.strip().strip('"').lower()).strip()


_HEADER_LOOKUP = {_normalise_header(alias): canonical for canonical, aliases in ALIASES.items() for alias in aliases}


class UnusableFile(ValueError):
    """The file as a whole cannot be read (exit code 2)."""


class UndecodableText(UnusableFile):
    """A row is not text in the encoding the file was read in (the guess from its first block may be wrong)."""

    def __init__(self, message: str, encoding: str) -> None:
        super().__init__(message)
        self.encoding = encoding


@dataclass
class RowError:
    field: str
    message: str


@dataclass
class RawRow:
    number: int  # 1-based line number in the file as a person counts rows, header included
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed block is still UTF-8; at the end of a file
        # shorter than the block it is the file's own last byte, and a UTF-8 file would not end mid-character.
        cut_by_the_block = len(head) >= SNIFF_BYTES and exc.reason == "unexpected end of data"
        if not cut_by_the_block:
            return "cp1252"
    return "utf-8"


def detect_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _records(reader: Iterator[list[str]], encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) after the header; a row that cannot be read makes the file unusable."""
    number = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise UndecodableText(
                gettext("Row {number} is not valid {encoding} text: {reason}.").format(
                    number=number + 1, encoding=encoding, reason=exc.reason
                ),
                encoding,
            ) from None
        except csv.Error as exc:
            raise UnusableFile(
                gettext("Row {number} cannot be read as CSV: {exc}.").format(number=number + 1, exc=exc)
            ) from None
        number += 1
        yield number, record


def check_readable(stream: BinaryIO, encoding: str | None = None) -> str:
    """Reads the whole file as read_rows would, without building its rows (a third of the time): raises
    UnusableFile for a fault anywhere in it, so a caller can refuse the file before writing anything. Returns the
    encoding it was read in."""
    encoding, reader, header = _open(stream, encoding)
    _columns(header)
    for _ in _records(reader, encoding):
        pass
    return encoding


def _open(stream: BinaryIO, encoding: str | None = None) -> tuple[str, Iterator[list[str]], list[str]]:
    """(encoding, CSV reader positioned after the header, header cells); the encoding is guessed unless given."""
    buffered = io.BufferedReader(stream, buffer_size=SNIFF_BYTES) if not hasattr(stream, "peek") else stream
    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]  # type: ignore[union-attr]
    if not head.strip():
        raise UnusableFile(gettext("The file is empty."))
    encoding = encoding or detect_encoding(head)
    text = io.TextIOWrapper(buffered, encoding=encoding, newline="", errors="strict")
    first_line = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="replace").lstrip("\ufeff")
    first_line = re.split(r"\r\n|\r|\n", first_line, maxsplit=1)[0]
    reader = csv.reader(text, delimiter=detect_delimiter(first_line))
    try:
        header = next(reader)
    except (StopIteration, csv.Error, UnicodeDecodeError) as exc:
        raise UnusableFile(gettext("The header row cannot be read: {exc}").format(exc=exc)) from None
    return encoding, reader, header


def _columns(header: list[str]) -> tuple[list[str | None], list[str]]:
    """The canonical field of each header cell (None for a cell not read), and the cells not read."""
    columns: list[str | None] = []
    ignored: list[str] = []
    for raw in header:
        canonical = _HEADER_LOOKUP.get(_normalise_header(raw))
        if canonical is None or canonical in columns:
            ignored.append(raw.strip())
            canonical = None
        columns.append(canonical)
    recognised = [c for c in columns if c]
    if "asset_tag" not in recognised and "serial_number" not in recognised:
        raise UnusableFile(
            gettext(
                "The header row has neither an asset tag nor a serial number column; "
                "columns found: {columns}."
            ).format(columns=", ".join(h.strip() for h in header) or gettext("none"))
        )
    return columns, ignored


def read_rows(stream: BinaryIO, encoding: str | None = None) -> tuple[list[str], list[str], Iterator[RawRow]]:
    """(recognised columns, ignored headers, rows). Raises UnusableFile for an empty or headerless file."""
    encoding, reader, header = _open(stream, encoding)
    columns, ignored = _columns(header)
    recognised = [c for c in columns if c]

    def rows() -> Iterator[RawRow]:
        for number, record in _records(reader, encoding):
            if not any(cell.strip() for cell in record):
                continue
            values = {col: cell.strip() for col, cell in zip(columns, record, strict=False) if col}
            yield RawRow(number, values)

    return recognised, ignored, rows()


def parse_number(text: str, decimal_mark: DecimalMark = None) -> Decimal:
    """A money amount as people write it. Raises ValueError with a message naming the readings."""
    cleaned = re.sub(r"[\s€$£]|EUR|USD", "", text.strip(), flags=re.I)
    if not cleaned:
        raise ValueError(gettext("is empty"))
    if not re.fullmatch(r"-?[\d.,]+", cleaned):
        raise ValueError(gettext('"{text}" is not a number').format(text=text))
    commas, points = cleaned.count(","), cleaned.count(".")
    if decimal_mark == "comma":
        normal = cleaned.replace(".", "").replace(",", ".")
    elif decimal_mark == "point":
        normal = cleaned.replace(",", "")
    elif commas and points:
        # Whichever comes last is the decimal mark: "1,234.56" and "1.234,56".
        normal = (
            cleaned.replace(",", "")
            if cleaned.rfind(".") > cleaned.rfind(",")
            else cleaned.replace(".", "").replace(",", ".")
        )
    elif commas + points == 0:
        normal = cleaned
    else:
        mark = "," if commas else "."
        count = commas or points
        whole, _, fraction = cleaned.rpartition(mark)
        if count > 1:
            normal = cleaned.replace(mark, "")
        elif len(fraction) == 3 and whole.lstrip("-") not in ("", "0"):
            as_thousands = cleaned.replace(mark, "")
            as_decimal = cleaned.replace(mark, ".")
            raise ValueError(
                gettext(
                    '"{text}" reads two ways: {as_thousands} or {as_decimal}; say which decimal mark the file uses '
                    "(--decimal-comma or --decimal-point, decimal_mark in the API, Numbers on the upload page)"
                ).format(text=text, as_thousands=as_thousands, as_decimal=as_decimal)
            )
        else:
            normal = cleaned.replace(mark, ".")
    try:
        return Decimal(normal)
    except InvalidOperation:
        raise ValueError(gettext('"{text}" is not a number').format(text=text)) from None


def parse_date(text: str, order: DateOrder = None) -> date:
    value = text.strip().split(" ")[0].split("T")[0]
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", value)
        if not match:
            raise ValueError
        first, separator, second, year = int(match[1]), match[2], int(match[3]), int(match[4])
        chosen = order or ("mdy" if separator == "/" else "dmy")
        month, day = (first, second) if chosen == "mdy" else (second, first)
        return date(year, month, day)
    except ValueError:
        hint = (
            "use Y-m-d, m/d/Y or d-m-Y" if order is None else gettext("expected the {order} order").format(order=order)
        )
        raise ValueError(gettext('"{text}" is not a date ({hint})').format(text=text, hint=hint)) from None
