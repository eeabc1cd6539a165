"""The import reader: encodings, delimiters, line endings, header aliases, numbers and dates."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from service.imports.reader import UnusableFile, parse_date, parse_number, read_rows


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
