"""Reading device spreadsheets as people really write them. Pure code: bytes in, typed rows out.

- UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252; comma or semicolon; LF / CRLF / CR line endings.
- The five bytes Windows-1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) turn up in real exports that are
  otherwise Windows-1252: they are read as their Latin-1 code points, as Excel and PHP do, and the row is flagged.
- A header row matched case-insensitively, with aliases (Kringloop's own columns and Snipe-IT's); the header
  repeated further down (files pasted together) and rows of nothing but delimiters are skipped and counted.
- Numbers "1234.56", "1,234.56", "1.234,56", with currency signs; "1,234" reads two ways and is refused unless
  told which.
- Dates: Y-m-d always; with "/" the order is m/d/Y, with "-" or "." it is d-m-Y, unless told otherwise. With "/"
  a two-digit year is accepted (Snipe-IT's "1/23/23"), pivoted as Python's %y does: 00-68 are 20xx, 69-99 19xx.
Rows stream: memory does not grow with the file. ``FileReading`` records how the file was read, for the report.
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
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
    "cost_centre": ("cost_centre", "cost centre", "cost center", "kostenplaats"),
    "eol_date": ("eol date", "asset eol date", "eol"),
    "model_notes": ("model notes",),
    "checkout_type": ("checkout type",),
    "checked_out_location": ("checked out to: location",),
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
    # How its cells were read where that was not plain (a two-digit year, an undefined byte): for the row's report.
    notes: list[str] = field(default_factory=list)
    # The kinds of those readings (READING_LINES' keys), counted over the file for its summary.
    read_as: set[str] = field(default_factory=set)


UNDEFINED_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
_UNDEFINED_CHARS = re.compile("[\x81\x8d\x8f\x90\x9d]")
_LENIENT_CP1252 = "kringloop-cp1252-undefined"
LISTED_ROWS = 20
# What the summary says of each kind of reading, followed by the rows it concerns.
READING_LINES = {
    "two_digit_year": "dates with a two-digit year, read as m/d/y (00-68 as 20xx, 69-99 as 19xx; --date-order "
    "settles the order)",
    "undefined_bytes": "bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), kept as their Latin-1 "
    "characters: check those cells",
    "repeated_header": "the header row repeated, skipped",
    "blank": "blank or only delimiters, skipped",
    "extra_columns": "an EOL date or Model Notes cell, kept as a line in the device's notes (Kringloop has no field "
    "for it yet)",
}


def _undefined_as_latin1(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError) and exc.object[exc.start] in UNDEFINED_CP1252:
        return chr(exc.object[exc.start]), exc.start + 1
    raise exc


codecs.register_error(_LENIENT_CP1252, _undefined_as_latin1)


@dataclass
class FileReading:
    """How a file was read: its encoding, and which rows were read in a way the person should know about."""

    encoding: str = ""
    rows: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def note(self, kind: str, row: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        listed = self.rows.setdefault(kind, [])
        if len(listed) < LISTED_ROWS:
            listed.append(row)

    def lines(self) -> list[str]:
        names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
        said = [f"Read as {names.get(self.encoding, self.encoding)}."] if self.encoding else []
        for kind, text in READING_LINES.items():
            count = self.counts.get(kind, 0)
            if count:
                listed = ", ".join(str(r) for r in self.rows[kind])
                more = f" and {count - len(self.rows[kind])} more" if count > len(self.rows[kind]) else ""
                said.append(f"{count} row{'s' if count != 1 else ''} with {text}: row{'s' if count != 1 else ''} "
                            f"{listed}{more}.")  # fmt: skip
        return said


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"
    if b"\x00" in head:
        raise UnusableFile(
            gettext("The file is not text (it holds NUL bytes): save it as CSV (UTF-8 or Windows-1252).")
        )
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


CUSTOM_PREFIX = "cf:"


def custom_columns(names: dict[str, str]) -> dict[str, str]:
    """{header as read: canonical column} for custom fields ({field name: key}): a column named as a field is read
    into it, unless the name is one of Kringloop's own columns."""
    return {
        _normalise_header(name): f"{CUSTOM_PREFIX}{key}"
        for name, key in names.items()
        if _normalise_header(name) not in _HEADER_LOOKUP
    }


def read_through(stream: BinaryIO, encoding: str | None = None) -> tuple[str, int]:
    """Reads the whole file as read_rows would, without building its rows (a third of the time): raises
    UnusableFile for a fault anywhere in it, so a caller can refuse the file before writing anything. Returns the
    encoding it was read in and how many records follow the header (blank and repeated header rows included; a
    quoted cell's line breaks do not count)."""
    encoding, reader, header = _open(stream, encoding)
    _columns(header)
    lines = 0
    for _ in _records(reader, encoding):
        lines += 1
    return encoding, lines


def _open(stream: BinaryIO, encoding: str | None = None) -> tuple[str, Iterator[list[str]], list[str]]:
    """(encoding, CSV reader positioned after the header, header cells); the encoding is guessed unless given."""
    buffered = io.BufferedReader(stream, buffer_size=SNIFF_BYTES) if not hasattr(stream, "peek") else stream
    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]  # type: ignore[union-attr]
    if not head.strip():
        raise UnusableFile(gettext("The file is empty."))
    encoding = encoding or detect_encoding(head)
    errors = _LENIENT_CP1252 if encoding == "cp1252" else "strict"
    text = io.TextIOWrapper(buffered, encoding=encoding, newline="", errors=errors)
    first_line = head.decode(encoding if encoding != "utf-8-sig" else "utf-8", errors="replace").lstrip("\ufeff")
    first_line = re.split(r"\r\n|\r|\n", first_line, maxsplit=1)[0]
    reader = csv.reader(text, delimiter=detect_delimiter(first_line))
    try:
        header = next(reader)
    except (StopIteration, csv.Error, UnicodeDecodeError) as exc:
        raise UnusableFile(gettext("The header row cannot be read: {exc}").format(exc=exc)) from None
    return encoding, reader, header


def _columns(header: list[str], extra: dict[str, str] | None = None) -> tuple[list[str | None], list[str]]:
    """The canonical field of each header cell (None for a cell not read), and the cells not read. ``extra``:
    more headers to read (custom_columns)."""
    columns: list[str | None] = []
    ignored: list[str] = []
    for raw in header:
        key = _normalise_header(raw)
        canonical = _HEADER_LOOKUP.get(key) or (extra or {}).get(key)
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


def read_rows(
    stream: BinaryIO,
    encoding: str | None = None,
    reading: FileReading | None = None,
    extra_columns: dict[str, str] | None = None,
) -> tuple[list[str], list[str], Iterator[RawRow]]:
    """(recognised columns, ignored headers, rows). Raises UnusableFile for an empty or headerless file.
    ``reading``, when given, learns the encoding and, as the rows stream, the ones skipped or read leniently;
    ``extra_columns`` (custom_columns) reads custom field columns too."""
    encoding, reader, header = _open(stream, encoding)
    columns, ignored = _columns(header, extra_columns)
    recognised = [c for c in columns if c]
    log = reading if reading is not None else FileReading()
    log.encoding = encoding
    header_key = [_normalise_header(cell) for cell in header]
    first_header = header[0].strip().lower() if header else ""

    # Each row's cells of the recognised columns, picked and trimmed in C (a dict comprehension over every cell
    # was the reader's largest cost); a row shorter than the last recognised column takes the slow way.
    names = [col for col in columns if col]
    positions = [i for i, col in enumerate(columns) if col]
    width = positions[-1] + 1 if positions else 0
    pick = operator.itemgetter(*positions) if len(positions) > 1 else None

    def rows() -> Iterator[RawRow]:
        for number, record in _records(reader, encoding):
            if not "".join(record).strip():
                log.note("blank", number)
                continue
            # The first cell alone rules out nearly every row (a plain comparison, no regex): only a row that starts
            # like the header is compared cell by cell.
            if (
                len(record) == len(header_key)
                and record[0].strip().lower() == first_header
                and [_normalise_header(c) for c in record] == header_key
            ):
                log.note("repeated_header", number)
                continue
            if pick is not None and len(record) >= width:
                values = dict(zip(names, map(str.strip, pick(record)), strict=True))
            else:
                values = {col: cell.strip() for col, cell in zip(columns, record, strict=False) if col}
            raw = RawRow(number, values)
            if encoding == "cp1252" and _UNDEFINED_CHARS.search("".join(values.values())):
                cells = [col for col, cell in values.items() if _UNDEFINED_CHARS.search(cell)]
                raw.notes.append(f"bytes Windows-1252 leaves undefined in {', '.join(cells)}: read as Latin-1")
                raw.read_as.add("undefined_bytes")
            yield raw

    return recognised, ignored, rows()


def parse_number(text: str, decimal_mark: DecimalMark = None) -> Decimal:
    """A money amount as people write it. Raises ValueError with a message naming the readings."""
    cleaned = re.sub(r"[\s\u00a0€$£¥]|EUR|USD|GBP|CHF", "", text.strip(), flags=re.I)
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


def pivot_year(two_digits: int) -> int:
    """The century Python's %y (and POSIX strptime) gives a two-digit year: 00-68 -> 20xx, 69-99 -> 19xx."""
    return two_digits + (2000 if two_digits <= 68 else 1900)


def read_date(text: str, order: DateOrder = None) -> tuple[date, bool]:
    """(the date, whether its year had two digits). Raises ValueError naming the forms accepted."""
    value = text.strip().split(" ")[0].split("T")[0]
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3])), False
        # Two-digit years only with "/": Snipe-IT's m/d/y. "01-02-23" could as well be a year first.
        match = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", value) or re.fullmatch(
            r"(\d{1,2})(/)(\d{1,2})/(\d{2})", value
        )
        if not match:
            raise ValueError
        first, separator, second, year_text = int(match[1]), match[2], int(match[3]), match[4]
        short = len(year_text) == 2
        year = pivot_year(int(year_text)) if short else int(year_text)
        chosen = order or ("mdy" if separator == "/" else "dmy")
        month, day = (first, second) if chosen == "mdy" else (second, first)
        return date(year, month, day), short
    except ValueError:
        hint = (
            gettext("use Y-m-d, m/d/Y, m/d/y or d-m-Y")
            if order is None
            else gettext("expected the {order} order").format(order=order)
        )
        raise ValueError(gettext('"{text}" is not a date ({hint})').format(text=text, hint=hint)) from None


def parse_date(text: str, order: DateOrder = None) -> date:
    return read_date(text, order)[0]
