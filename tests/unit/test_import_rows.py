"""Import rows: from a raw spreadsheet row to a device record, the moves it asks for, and the file's key index."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from service.devices.lifecycle import Move
from service.imports.moves import DeviceState, MoveRefused, desired_state, plan_moves
from service.imports.reader import RawRow, RowError
from service.imports.rows import (
    DeviceRecord,
    HolderRef,
    RowRules,
    category_of,
    missing_for_create,
    read_record,
    with_note_lines,
)
from service.imports.seen import KeyIndex

RULES = RowRules(format="kringloop", today=date(2026, 6, 1), max_purchase_price_cents=100_000_00)
SNIPE = RowRules(format="snipeit", today=date(2026, 6, 1), max_purchase_price_cents=100_000_00)
BASE = {"asset_tag": "KL-1", "serial_number": "SN1", "manufacturer": "Dell", "model": "Latitude 5440",
        "purchase_date": "2024-03-01", "purchase_price": "1249.00"}  # fmt: skip


def record(rules: RowRules = RULES, **values: str) -> DeviceRecord:
    result = read_record(RawRow(2, {**BASE, **values}), rules)
    assert isinstance(result, DeviceRecord), result
    return result


def errors(rules: RowRules = RULES, **values: str) -> dict[str, str]:
    result = read_record(RawRow(2, {**BASE, **values}), rules)
    assert isinstance(result, list), result
    return {e.field: e.message for e in result}


def test_a_plain_row_becomes_a_record_with_typed_fields() -> None:
    r = record(condition_grade="b", supplier="Centralpoint", warranty_end="2027-03-01", category="Laptops")
    assert (r.asset_tag, r.serial_number, r.manufacturer, r.model, r.category) == (
        "KL-1", "SN1", "Dell", "Latitude 5440", "laptop"
    )  # fmt: skip
    assert r.fields == {
        "supplier": "Centralpoint", "purchase_price_cents": 124900, "purchase_date": date(2024, 3, 1),
        "warranty_end": date(2027, 3, 1), "condition_grade": "B",
    }  # fmt: skip
    assert r.status is None and r.holder is None and not r.holder_given


def test_an_asset_tag_or_a_serial_is_required() -> None:
    assert "asset_tag" in errors(asset_tag="", serial_number="")
    assert record(asset_tag="").serial_number == "SN1"
    assert record(serial_number="").asset_tag == "KL-1"


@pytest.mark.parametrize(
    "text,mark,cents",
    [("1234.56", None, 123456), ("1,234.56", None, 123456), ("1.234,56", None, 123456), ("€ 99", None, 9900),
     ("1,234", "point", 123400), ("1,23", "comma", 123), ("1.234", "comma", 123400), ("12,5", None, 1250),
     ("12.345,67", None, 1234567)],
)  # fmt: skip
def test_numbers_in_every_common_spelling(text: str, mark: str | None, cents: int) -> None:
    rules = RowRules("kringloop", RULES.today, RULES.max_purchase_price_cents, decimal_mark=mark)  # type: ignore[arg-type]
    assert record(rules, purchase_price=text).fields["purchase_price_cents"] == cents


@pytest.mark.parametrize("text", ["1.5", "1.50", "1.05", "001.00", "0", "0.5", "00.07", "100000.00", "12"])
def test_plain_prices_read_in_whole_cents_as_decimal_would(text: str) -> None:
    # These take rows.py's integer fast path; it must agree with the Decimal reading it skips.
    assert record(purchase_price=text).fields["purchase_price_cents"] == int(Decimal(text) * 100)


def test_plain_prices_past_the_limit_or_too_long_for_the_fast_path_are_refused() -> None:
    assert "plausible maximum" in errors(purchase_price="100000.01")["purchase_price"]
    assert "plausible maximum" in errors(purchase_price="999999999999.99")["purchase_price"]
    # Past Decimal's 28 digits quantize raised InvalidOperation, which no row error caught.
    assert "plausible maximum" in errors(purchase_price="1" * 30)["purchase_price"]


def test_a_number_that_reads_two_ways_is_refused_naming_both() -> None:
    message = errors(purchase_price="1,234")["purchase_price"]
    assert "1234" in message and "1.234" in message and "--decimal-comma" in message


@pytest.mark.parametrize(
    "text,message",
    [("-5", "negative"), ("1234.5678", "two decimals"), ("9999999", "plausible maximum"), ("lots", "not a number")],
)
def test_bad_prices(text: str, message: str) -> None:
    assert message in errors(purchase_price=text)["purchase_price"]


@pytest.mark.parametrize(
    "text,order,expected",
    [("2024-03-04", None, date(2024, 3, 4)), ("03/04/2024", None, date(2024, 3, 4)),
     ("03-04-2024", None, date(2024, 4, 3)), ("03.04.2024", None, date(2024, 4, 3)),
     ("03/04/2024", "dmy", date(2024, 4, 3)), ("03-04-2024", "mdy", date(2024, 3, 4)),
     ("2024-03-04 10:30:00", None, date(2024, 3, 4))],
)  # fmt: skip
def test_dates(text: str, order: str | None, expected: date) -> None:
    rules = RowRules("kringloop", RULES.today, RULES.max_purchase_price_cents, date_order=order)  # type: ignore[arg-type]
    assert record(rules, purchase_date=text).fields["purchase_date"] == expected


def test_bad_dates_say_what_is_wrong() -> None:
    assert "not a date" in errors(purchase_date="2024-13-01")["purchase_date"]
    assert "in the future" in errors(purchase_date="2027-01-01")["purchase_date"]
    assert "before 1990" in errors(purchase_date="1985-01-01")["purchase_date"]
    assert "before the purchase date" in errors(warranty_end="2023-01-01")["warranty_end"]


def test_warranty_months_count_from_the_purchase_date() -> None:
    assert record(purchase_date="2024-01-31", warranty_months="1").fields["warranty_end"] == date(2024, 2, 29)
    assert record(warranty_months="36 months").fields["warranty_end"] == date(2027, 3, 1)
    assert "months" in errors(warranty_months="three")["warranty_months"]


def test_condition_grade_a_to_d() -> None:
    assert record(condition_grade="c").fields["condition_grade"] == "C"
    assert "A, B, C or D" in errors(condition_grade="E")["condition_grade"]


@pytest.mark.parametrize(
    "text,category,known",
    [("Laptops", "laptop", True), ("Notebook", "laptop", True), ("Mobile Phones", "phone", True),
     ("iPad", "tablet", True), ("Monitors", "monitor", True), ("", "other", True), ("Headsets", "other", False)],
)  # fmt: skip
def test_categories_and_unknown_ones(text: str, category: str, known: bool) -> None:
    assert category_of(text) == (category, known)
    r = record(category=text)
    assert r.category == category and r.unknown_category == (None if known else text)


def test_text_longer_than_the_database_keeps_is_refused() -> None:
    assert "longer than 64" in errors(asset_tag="X" * 65)["asset_tag"]
    assert errors(cost_centre="C" * 65) == {"cost_centre": "is longer than 64 characters"}


def test_a_cost_centre_is_a_text_field_a_blank_cell_clears() -> None:
    assert record(cost_centre="IT-4100").fields["cost_centre"] == "IT-4100"
    assert record(cost_centre="").fields["cost_centre"] == ""
    assert "cost_centre" not in record().fields


def test_cells_guarded_against_spreadsheet_formulas_are_read_back() -> None:
    assert record(notes="'=SUM(A1)").fields["notes"] == "=SUM(A1)"
    assert record(notes="'007").fields["notes"] == "'007"


def test_every_problem_of_a_row_at_once() -> None:
    assert set(errors(purchase_price="x", purchase_date="y", condition_grade="Z")) == {
        "purchase_price", "purchase_date", "condition_grade"
    }  # fmt: skip


def test_kringloop_statuses_and_holders() -> None:
    assert record(status="In use", holder_email="A@B.nl").status == "in_use"
    assert record(status="in_use", holder_email="a@b.nl").holder == HolderRef(email="a@b.nl")
    assert record(status="wiped").status == "wiped"  # moves.py refuses it unless the device is wiped already
    assert "not a status" in errors(status="broken")["status"]
    assert "has no holder" in errors(status="in_stock", holder_email="a@b.nl")["holder"]
    assert "has no holder" in errors(status="retired", holder_name="Sanne")["holder"]
    assert "needs a holder" in errors(status="in_use", holder_email="")["holder"]
    assert "not an email" in errors(holder_email="sanne")["holder"]


@pytest.mark.parametrize(
    "label,holder,status",
    [("Ready to Deploy", "", "in_stock"), ("Ready to Deploy", "a@b.nl", "in_use"), ("Pending", "", "in_repair"),
     ("Pending Diagnostics", "a@b.nl", "in_repair"), ("Undeployable", "", "in_repair"), ("Broken", "", "in_repair"),
     ("Lost", "", "lost"), ("Stolen", "", "lost"), ("Archived", "", "retired"), ("Deployed", "a@b.nl", "in_use")],
)  # fmt: skip
def test_snipeit_status_labels(label: str, holder: str, status: str) -> None:
    r = record(SNIPE, status=label, holder_email=holder)
    assert r.status == status and r.unknown_status is None


def test_snipeit_unknown_labels_are_in_stock_and_listed_and_holders_of_archived_devices_dropped() -> None:
    r = record(SNIPE, status="Loaned to partner", holder_email="")
    assert (r.status, r.unknown_status) == ("in_stock", "Loaned to partner")
    archived = record(SNIPE, status="Archived", holder_email="a@b.nl")
    assert archived.holder is None and "not kept as holder" in archived.notes[0]
    named = record(SNIPE, status="Ready to Deploy", holder_first_name="Sanne", holder_last_name="de Jong")
    assert named.holder == HolderRef(name="Sanne de Jong") and named.status == "in_use"


def test_missing_for_create() -> None:
    fields = {
        e.field for e in missing_for_create(record(manufacturer="", model="", purchase_price="", purchase_date=""))
    }
    assert fields == {"manufacturer", "model", "purchase_price", "purchase_date"}
    assert missing_for_create(record()) == []


# -- moves


def moves(current: DeviceState | None, status: str | None, holder: object, given: bool = True) -> list[str]:
    start = current or DeviceState("in_stock")
    return [m.move.value for m in plan_moves(start, desired_state(current, status, given, holder))]


def test_new_devices_move_from_in_stock_to_their_state() -> None:
    assert moves(None, None, None, given=False) == []
    assert moves(None, None, 7) == ["assign"]
    assert moves(None, "in_repair", 7) == ["assign", "repair"]
    assert moves(None, "in_repair", None) == ["repair"]
    assert moves(None, "retired", None) == ["retire"]
    assert moves(None, "lost", None) == ["lost"]


def test_existing_devices_move_through_the_table() -> None:
    in_use = DeviceState("in_use", 7)
    assert moves(in_use, "in_use", 7) == []
    assert moves(in_use, None, None, given=False) == []
    assert moves(in_use, "in_use", 8) == ["unassign", "assign"]
    assert moves(in_use, "in_stock", None, given=False) == ["unassign"]
    assert moves(in_use, None, None) == ["unassign"]
    assert moves(DeviceState("in_repair", 7), "in_use", 7) == ["return"]
    assert moves(DeviceState("in_repair", None), "in_use", 8) == ["return", "assign"]
    assert moves(in_use, "lost", None) == ["lost"]


@pytest.mark.parametrize(
    "current,status,holder,field",
    [(DeviceState("retired"), "in_stock", None, "status"), (DeviceState("lost"), "in_use", 7, "status"),
     (DeviceState("in_repair", 7), "in_repair", 8, "holder"), (DeviceState("in_stock"), "in_use", None, "holder")],
)  # fmt: skip
def test_moves_the_table_refuses(current: DeviceState, status: str, holder: object, field: str) -> None:
    with pytest.raises(MoveRefused) as refused:
        plan_moves(current, desired_state(current, status, True, holder))
    assert refused.value.field == field


def test_a_device_past_retired_stays_as_it_is() -> None:
    wiped = DeviceState("wiped")
    assert desired_state(wiped, None, False, None) == wiped
    assert desired_state(wiped, "wiped", True, None) == wiped
    for current in (None, DeviceState("retired"), DeviceState("valued")):
        with pytest.raises(MoveRefused, match="never sets wiped"):
            desired_state(current, "wiped", True, None)
    with pytest.raises(MoveRefused, match="never changes"):
        plan_moves(wiped, DeviceState("in_stock"))


def test_every_planned_move_names_its_from_and_to() -> None:
    planned = plan_moves(DeviceState("in_repair", None), DeviceState("in_use", 3))
    assert [(m.move, m.from_status, m.to_status, m.holder) for m in planned] == [
        (Move.return_from_repair, "in_repair", "in_stock", None), (Move.assign, "in_stock", "in_use", 3)
    ]  # fmt: skip


# -- the key index


def test_key_index_remembers_the_first_row_and_grows() -> None:
    index = KeyIndex(capacity=4)
    for row in range(2, 5002):
        assert index.add(f"t\x00KL-{row}", row) is None
    assert len(index) == 5000
    assert index.add("t\x00KL-77", 9999) == 77
    assert index.first_row("t\x00KL-4000") == 4000
    assert index.first_row("t\x00KL-nope") is None


def test_key_index_sized_for_its_keys_never_grows() -> None:
    index = KeyIndex.for_keys(5000)
    slots = len(index._digests)
    for row in range(2, 5002):
        assert index.add(f"t\x00KL-{row}", row) is None
    assert len(index._digests) == slots == 1 << 14  # the size growing from small reaches for 5000 keys
    assert index.add("t\x00KL-77", 9999) == 77
    assert len(KeyIndex.for_keys(0)._digests) == 1 << 12


def test_row_errors_are_plain_data() -> None:
    # The report and the API serialise them field by field; equality is by value (the tests compare them).
    error = RowError("status", "x")
    assert (error.field, error.message) == ("status", "x")
    assert dataclasses.asdict(error) == {"field": "status", "message": "x"}
    assert error != RowError("status", "y")


# -- the report


def test_the_report_csv_guards_what_the_file_brought_and_the_summary_reads_well() -> None:
    import csv
    import io

    from service.imports.report import ReportWriter, summary_line
    from service.imports.service import ImportSummary, RowOutcome

    out = io.StringIO()
    writer = ReportWriter(out)
    writer.write(
        RowOutcome(7, "error", asset_tag="=HYPERLINK(1)", errors=[RowError("status", "x"), RowError("a", "y")])
    )
    writer.write(RowOutcome(8, "created", device_id=3, serial_number="SN", notes=["n1", "n2"]))
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines == [
        ["row", "outcome", "device_id", "asset_tag", "serial_number", "errors", "notes"],
        ["7", "error", "", "'=HYPERLINK(1)", "", "status: x; a: y", ""],
        ["8", "created", "3", "", "SN", "", "n1; n2"],
    ]
    summary = ImportSummary(2, 1, 0, 1, 4, [], [], dry_run=True)
    assert summary_line(summary) == "4 rows: 2 would be created, 1 would be updated, 0 unchanged, 1 refused"
    assert summary.exit_code == 1


def test_two_digit_years_are_read_and_said_per_row() -> None:
    raw = RawRow(2, {**BASE, "purchase_date": "1/23/23", "warranty_end": "1/23/26"})
    result = read_record(raw, SNIPE)
    assert isinstance(result, DeviceRecord)
    assert (result.fields["purchase_date"], result.fields["warranty_end"]) == (date(2023, 1, 23), date(2026, 1, 23))
    assert raw.read_as == {"two_digit_year"}
    assert raw.notes == ['purchase_date "1/23/23" read as 2023-01-23 (m/d/y, two-digit year)',
                         'warranty_end "1/23/26" read as 2026-01-23 (m/d/y, two-digit year)']  # fmt: skip
    dmy = dataclasses.replace(SNIPE, date_order="dmy")
    raw = RawRow(2, {**BASE, "purchase_date": "11/04/23"})
    result = read_record(raw, dmy)
    assert isinstance(result, DeviceRecord) and result.fields["purchase_date"] == date(2023, 4, 11)
    assert raw.notes == ['purchase_date "11/04/23" read as 2023-04-11 (d/m/y, two-digit year)']


def test_a_two_digit_year_in_the_future_is_still_refused_by_its_field() -> None:
    assert errors(SNIPE, purchase_date="1/1/30") == {"purchase_date": "2030-01-01 is in the future"}


def test_eol_and_model_notes_become_note_lines_and_the_company_its_own_field() -> None:
    raw = RawRow(2, {**BASE, "company": " Acme  BV ", "eol_date": "1/23/27", "model_notes": "Keyboard\nUS intl"})
    result = read_record(raw, SNIPE)
    assert isinstance(result, DeviceRecord)
    assert result.note_lines == (("EOL date", "2027-01-23"), ("Model notes", "Keyboard US intl"))
    assert result.company == "Acme BV"
    assert raw.read_as == {"extra_columns", "two_digit_year"}
    assert errors(SNIPE, eol_date="soon") == {"eol_date": '"soon" is not a date (use Y-m-d, m/d/Y, m/d/y or d-m-Y)'}


def test_note_lines_replace_their_label_and_append_once() -> None:
    lines = (("Company", "Acme"), ("EOL date", "2027-01-23"))
    assert with_note_lines("", lines) == "Company: Acme\nEOL date: 2027-01-23"
    merged = with_note_lines("Sticker on lid\nCompany: Old BV", lines)
    assert merged == "Sticker on lid\nCompany: Acme\nEOL date: 2027-01-23"
    assert with_note_lines(merged, lines) == merged  # a second import of the same row changes nothing
    assert with_note_lines("as it was", ()) == "as it was"


def test_checked_out_to_a_location_registers_the_device_there_without_a_holder() -> None:
    r = record(SNIPE, checkout_type="Location", checked_out_location="Room 4.12", status="Deployed",
               location="Utrecht", holder_username="")  # fmt: skip
    assert (r.fields["location"], r.holder, r.holder_given, r.status) == ("Room 4.12", None, True, "in_stock")
    assert r.notes == ['checked out to location "Room 4.12": registered there, with no holder',
                       'status "Deployed" without a holder: in stock']  # fmt: skip
    # A location cell alone (no checkout type) says the same; a user checkout keeps the person.
    assert record(SNIPE, checked_out_location="Depot").fields["location"] == "Depot"
    user = record(SNIPE, checkout_type="User", holder_username="sanne", checked_out_location="")
    assert (user.holder, user.status) == (HolderRef(username="sanne"), "in_use")
    asset = record(SNIPE, checkout_type="asset", holder_username="sanne")
    assert (asset.holder, asset.holder_given) == (None, True)
    assert errors(SNIPE, checkout_type="Desk") == {"checkout_type": '"Desk" is not User, Location or Asset'}
