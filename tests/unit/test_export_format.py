"""The device export's row format: the importer's own column names, and a formula guard that undoes itself."""

from __future__ import annotations

import csv
import io
from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.imports.export import EXPORT_COLUMNS, TEXT_COLUMNS, export_row
from service.imports.reader import ALIASES, read_rows
from service.spreadsheet import guard_text, unguard_text


def test_every_column_is_a_canonical_name_the_reader_knows_by_itself() -> None:
    for column in EXPORT_COLUMNS:
        assert column in ALIASES and column in ALIASES[column], column
    assert TEXT_COLUMNS.issubset(EXPORT_COLUMNS)


def test_the_reader_recognises_the_whole_header_and_ignores_nothing() -> None:
    header = ("\ufeff" + ",".join(EXPORT_COLUMNS) + "\r\n").encode()
    recognised, ignored, _rows = read_rows(io.BytesIO(header + b"KL-1" + b"," * (len(EXPORT_COLUMNS) - 1) + b"\r\n"))
    assert recognised == list(EXPORT_COLUMNS) and ignored == []


@pytest.mark.parametrize(
    "text,guarded",
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-SN-2", "'-SN-2"),
        ("@desk", "'@desk"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'quoted", "''quoted"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_formula_like_text_is_marked_as_text(text: str, guarded: str) -> None:
    assert guard_text(text) == guarded
    assert unguard_text(guarded) == text


def test_unguard_leaves_an_apostrophe_it_did_not_put_there() -> None:
    assert unguard_text("'007") == "'007"
    assert unguard_text("'") == "'"
    # Other tools (league/csv's EscapeFormula in Snipe-IT) mark formulas the same way.
    assert unguard_text("'=1+1") == "=1+1"


@given(st.text())
def test_guarding_then_unguarding_gives_back_any_text(text: str) -> None:
    assert unguard_text(guard_text(text)) == text
    assert guard_text(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")


def device(**overrides: object) -> SimpleNamespace:
    values: dict[str, object] = dict(
        asset_tag="KL-1", serial_number=None, manufacturer="Dell", model_name="Latitude 5440", category="laptop",
        purchase_date=date(2024, 3, 1), purchase_price_cents=124950, supplier="", order_ref="", warranty_end=None,
        location="", condition_grade="B", notes="=cmd|' /C calc'!A0", status="in_use",
        holder_email="sanne@example.nl", holder_name="Sanne de Jong", company_name="Zorg Noord BV",
        cost_centre="IT-4100",
    )  # fmt: skip
    values.update(overrides)
    return SimpleNamespace(**values)


def test_a_row_in_the_forms_the_importer_reads_without_hints() -> None:
    row = dict(zip(EXPORT_COLUMNS, export_row(device()), strict=True))
    assert row["purchase_price"] == "1249.50" and row["purchase_date"] == "2024-03-01"
    assert row["serial_number"] == "" and row["warranty_end"] == ""
    assert row["notes"] == "'=cmd|' /C calc'!A0" and row["status"] == "in_use"
    assert (row["company"], row["cost_centre"]) == ("Zorg Noord BV", "IT-4100")
    assert export_row(device(purchase_price_cents=5, warranty_end=date(2027, 1, 31)))[6:10] == [
        "0.05", "", "", "2027-01-31"]  # fmt: skip


def test_exactly_the_text_columns_are_guarded() -> None:
    text = {"asset_tag", "serial_number", "manufacturer", "model_name", "supplier", "order_ref", "location", "notes",
            "holder_email", "holder_name", "company_name", "cost_centre"}  # fmt: skip
    row = dict(zip(EXPORT_COLUMNS, export_row(device(**{name: "=x" for name in text})), strict=True))
    assert {column for column, value in row.items() if value == "'=x"} == TEXT_COLUMNS
    assert row["category"] == "laptop" and row["status"] == "in_use" and row["condition_grade"] == "B"


def test_cells_with_delimiters_quotes_and_newlines_survive_csv() -> None:
    buffer = io.StringIO()
    original = export_row(device(notes='a "dock",\nand; more', location="Utrecht; 3rd floor"))
    csv.writer(buffer, lineterminator="\r\n").writerow(original)
    assert next(csv.reader(io.StringIO(buffer.getvalue(), newline=""))) == original
