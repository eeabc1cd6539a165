"""The import reader: encodings, delimiters, line endings, header aliases, numbers and dates."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from service.imports.reader import (
    FileReading,
    UnusableFile,
    parse_date,
    parse_number,
    read_date,
    read_rows,
    read_through,
)


def rows_of(data: bytes) -> tuple[list[str], list[str], list[dict[str, str]]]:
    columns, ignored, rows = read_rows(io.BytesIO(data))
    return columns, ignored, [r.values for r in rows]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("delimiter", [b",", b";"])
def test_line_endings_and_delimiters(newline: bytes, delimiter: bytes) -> None:
    data = newline.join(
        [
            delimiter.join([b"Asset Tag", b"Serial", b"Purchase Cost"]),
            delimiter.join([b"KL-1", b"SN1", b'"1.234,56"']),
            delimiter.join([b"KL-2", b"SN2", b"99"]),
            b"",
        ]
    )
    columns, _, rows = rows_of(data)
    assert columns == ["asset_tag", "serial_number", "purchase_price"]
    assert rows == [
        {"asset_tag": "KL-1", "serial_number": "SN1", "purchase_price": "1.234,56"},
        {"asset_tag": "KL-2", "serial_number": "SN2", "purchase_price": "99"},
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(encoding: str) -> None:
    data = "asset_tag;location\nKL-1;Café Zürich \u2013 €\n".encode(encoding)
    _, _, rows = rows_of(data)
    assert rows == [{"asset_tag": "KL-1", "location": "Café Zürich \u2013 €"}]


def test_headers_are_case_insensitive_with_aliases_and_unknowns_listed() -> None:
    columns, ignored, _ = rows_of(b"ASSET TAG,serial no,Checked Out To: Email,Favourite colour\nA,B,c@d.nl,red\n")
    assert columns == ["asset_tag", "serial_number", "holder_email"]
    assert ignored == ["Favourite colour"]


def test_blank_rows_are_skipped_and_row_numbers_count_the_header() -> None:
    _, _, rows = read_rows(io.BytesIO(b"asset_tag,notes\nA,x\n\n,\nB,y\n"))
    assert [(r.number, r.values["asset_tag"]) for r in rows] == [(2, "A"), (5, "B")]


def test_the_whole_file_check_counts_the_lines_after_the_header() -> None:
    # The import sizes its index of seen keys from this count (seen.py): blank lines count too, never fewer.
    assert read_through(io.BytesIO(b"asset_tag,notes\nA,x\n\n,\nB,\"two\nlines\"\n")) == ("utf-8", 4)
    assert read_through(io.BytesIO(b"asset_tag\n")) == ("utf-8", 0)


@pytest.mark.parametrize(
    "data,message", [(b"", "empty"), (b"name,colour\nx,y\n", "neither an asset tag"), (b"\n\n", "empty")]
)
def test_unusable_files(data: bytes, message: str) -> None:
    with pytest.raises(UnusableFile, match=message):
        read_rows(io.BytesIO(data))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1234,5", "1234.5"),
        ("1.234.567", "1234567"),
        ("1,234,567.89", "1234567.89"),
        ("€ 99", "99"),
        ("0,123", "0.123"),
    ],
)
def test_numbers(text: str, expected: str) -> None:
    assert parse_number(text) == Decimal(expected)


def test_ambiguous_number_names_both_readings_unless_settled() -> None:
    with pytest.raises(ValueError, match=r"1234 or 1\.234"):
        parse_number("1,234")
    assert parse_number("1,234", "comma") == Decimal("1.234")
    assert parse_number("1,234", "point") == Decimal("1234")
    assert parse_number("1.234", "comma") == Decimal("1234")


@pytest.mark.parametrize(
    "text,order,expected",
    [
        ("2024-03-01", None, date(2024, 3, 1)),
        ("03/01/2024", None, date(2024, 3, 1)),
        ("01-03-2024", None, date(2024, 3, 1)),
        ("01.03.2024", None, date(2024, 3, 1)),
        ("03/01/2024", "dmy", date(2024, 1, 3)),
        ("2024-03-01 10:00:00", None, date(2024, 3, 1)),
    ],
)
def test_dates(text: str, order: str | None, expected: date) -> None:
    assert parse_date(text, order) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["31/31/2024", "2024/03/01", "yesterday", "13-13-2024"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    "text,order,expected",
    [
        ("1/23/23", None, date(2023, 1, 23)),
        ("11/14/22", None, date(2022, 11, 14)),
        ("12/31/68", None, date(2068, 12, 31)),  # %y's pivot: 68 is still this century
        ("1/1/69", None, date(1969, 1, 1)),
        ("03/04/23", "dmy", date(2023, 4, 3)),
        ("1/23/23 10:15", None, date(2023, 1, 23)),
    ],
)
def test_two_digit_years_with_slashes(text: str, order: str | None, expected: date) -> None:
    assert read_date(text, order) == (expected, True)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["1-23-23", "23.01.23", "1/23/2", "13/23/23"])
def test_two_digit_years_only_with_slashes_and_valid(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        read_date(text)


def test_four_digit_years_are_not_flagged() -> None:
    assert read_date("01/23/2023") == (date(2023, 1, 23), False)


def test_bytes_windows_1252_leaves_undefined_are_kept_as_latin1_and_flagged() -> None:
    data = b"asset_tag,location,notes\nKL-1,Caf\xe9,plain\nKL-2,Zaal \x8d3,\x81x\x90\nKL-3,\x9d,\x8f\n"
    reading = FileReading()
    _, _, rows = read_rows(io.BytesIO(data), reading=reading)
    got = list(rows)
    assert [r.values["location"] for r in got] == ["Café", "Zaal \x8d3", "\x9d"]
    assert got[1].values["notes"] == "\x81x\x90"
    assert [r.read_as for r in got] == [set(), {"undefined_bytes"}, {"undefined_bytes"}]
    assert got[1].notes == ["bytes Windows-1252 leaves undefined in location, notes: read as Latin-1"]
    assert reading.encoding == "cp1252"


def test_undefined_bytes_in_the_header_do_not_refuse_the_file() -> None:
    columns, ignored, rows = read_rows(io.BytesIO(b"Asset Tag,Not\x8des\nKL-1,x\n"))
    assert (columns, ignored, [r.values for r in rows]) == (["asset_tag"], ["Not\x8des"], [{"asset_tag": "KL-1"}])


def test_repeated_headers_and_delimiter_only_rows_are_skipped_and_counted() -> None:
    data = b"Asset Tag,Notes\nKL-1,a\n,,\nASSET TAG,notes\n\nKL-2,b\n"
    reading = FileReading()
    _, _, rows = read_rows(io.BytesIO(data), reading=reading)
    assert [(r.number, r.values["asset_tag"]) for r in rows] == [(2, "KL-1"), (6, "KL-2")]
    assert reading.counts == {"blank": 2, "repeated_header": 1}
    assert reading.lines() == [
        "Read as UTF-8.",
        "1 row with the header row repeated, skipped: row 4.",
        "2 rows with blank or only delimiters, skipped: rows 3, 5.",
    ]


def test_reading_lists_at_most_twenty_rows_and_counts_the_rest() -> None:
    reading = FileReading(encoding="cp1252")
    for row in range(2, 32):
        reading.note("undefined_bytes", row)
    assert reading.lines()[1].endswith("rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 "
                                       "and 10 more.")  # fmt: skip


def test_utf16_with_a_bom_is_read_and_binary_files_are_refused() -> None:
    _, _, rows = read_rows(io.BytesIO("Asset Tag\tx\nKL-1\n".replace("\t", ",").encode("utf-16")))
    assert [r.values for r in rows] == [{"asset_tag": "KL-1"}]
    with pytest.raises(UnusableFile, match="not text"):
        read_rows(io.BytesIO(b"PK\x03\x04\x14\x00\x00\x00asset_tag\n"))


@pytest.mark.parametrize(
    "text,expected", [("$1,234.56", "1234.56"), ("€ 1.234,56", "1234.56"), ("1,234.56 USD", "1234.56"),
                      ("GBP 99.50", "99.50"), ("\u00a01\u00a0234,56", "1234.56")],
)  # fmt: skip
def test_purchase_costs_with_currency_signs_and_thousands(text: str, expected: str) -> None:
    assert parse_number(text) == Decimal(expected)
