"""Snipe-IT's own export files, as a person leaving Snipe-IT brings them (issue 17): two-digit years, bytes
Windows-1252 leaves undefined, the columns its users carry, and every problem at once. The files are written
here, row by row; none is copied from anyone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from service.settings import Settings
from tests.integration.conftest import Api
from tests.integration.import_helpers import by_row, device, errors_of, rows, run, snapshot

# Snipe-IT v8's asset export header, in its own order and spelling.
SNIPE_HEADER = (
    "Company,Asset Name,Asset Tag,Category,Supplier,Manufacturer,Location,Order Number,Model Name,Model Notes,"
    "Model No.,Serial Number,Status,Asset Notes,Purchase Date,Purchase Cost,Warranty,Asset EOL Date,Checkout Type,"
    "Checked Out To: Username,Checked Out To: First Name,Checked Out To: Last Name,Checked Out To: Email,"
    "Checked Out To: Location"
)
MAKERS = [("Lenovo", "ThinkPad T14 Gen 3", "Laptops"), ("Apple", "iPhone 13", "Mobile Phones"),
          ("Samsung", "Galaxy Tab S8", "Tablets"), ("Dell", "Latitude 5430", "Laptops")]  # fmt: skip


def snipe_row(n: int, *, date: str, cost: str = '"1,249.00"', location: str = "Amsterdam", notes: str = "",
              checkout: str = "", person: tuple[str, str, str, str] = ("", "", "", ""), place: str = "",
              status: str = "Ready to Deploy", company: str = "Acme Nederland BV") -> str:  # fmt: skip
    maker, model, category = MAKERS[n % len(MAKERS)]
    cells = [company, f"Asset {n}", f"ACME-{n:04d}", category, "Bechtle", maker, location, f"PO-{n}",
             model, "", "", f"SN{n:06d}", status, notes, date, cost, "36 months", "", checkout, *person,
             place]  # fmt: skip
    return ",".join(cells)


async def add_company(api: Api, name: str = "Acme Nederland BV") -> dict[str, Any]:
    """The company a Snipe-IT file names: the import finds companies, it never creates them."""
    response = await api.post("admin", "/api/v1/companies/", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


def snipe_file(*lines: str, encoding: str = "utf-8") -> bytes:
    text = "\r\n".join((SNIPE_HEADER, *lines)) + "\r\n"
    if encoding != "cp1252":
        return text.encode(encoding)
    # Windows-1252 as real exports hold it: a character it lacks (U+0081, U+008D, ...) lies in the file as that byte.
    return b"".join(c.encode("cp1252") if ord(c) not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([ord(c)])
                    for c in text)  # fmt: skip


async def test_a_clean_snipeit_export_with_two_digit_years_imports_every_row(api: Api, settings: Settings) -> None:
    dates = ["1/23/23", "11/14/22", "2/1/24", "12/31/22", "6/7/23", "3/15/24", "9/30/22", "10/1/23", "4/4/24",
             "7/19/23", "8/8/22"]  # fmt: skip
    lines = []
    for n in range(1, 23):
        if n % 3 == 0:
            lines.append(snipe_row(n, date=dates[n % len(dates)], checkout="User", status="Deployed",
                                   person=(f"user{n}", "Sam", f"Jansen{n}", f"sam.jansen{n}@example.nl")))  # fmt: skip
        else:
            lines.append(snipe_row(n, date=dates[n % len(dates)]))
    acme = await add_company(api)
    summary, outcomes = await run(api, settings, snipe_file(*lines), format="snipeit")
    assert (summary.rows, summary.created, summary.errors) == (22, 22, 0), [o.errors for o in outcomes if o.errors]
    assert summary.ignored_columns == []
    assert summary.readings[0] == "Read as UTF-8."
    assert summary.readings[1].startswith("22 rows with dates with a two-digit year, read as m/d/y")
    first = await device(api, "ACME-0001")
    assert (str(first["purchase_date"]), str(first["warranty_end"])) == ("2022-11-14", "2025-11-14")
    assert (first["purchase_price_cents"], first["order_ref"], first["supplier"]) == (124900, "PO-1", "Bechtle")
    assert (first["notes"], first["company_id"]) == ("", acme["id"]), "the company is the device's, not a note"
    held = await device(api, "ACME-0003")
    assert held["status"] == "in_use" and held["holder_id"] is not None
    holders = await rows(api, "SELECT company_id FROM employees WHERE id = :id", id=held["holder_id"])
    assert holders == [{"company_id": acme["id"]}], "a holder the import creates works for the device's company"
    assert by_row(outcomes)[2].notes == ['purchase_date "11/14/22" read as 2022-11-14 (m/d/y, two-digit year)']
    # The same file again changes nothing.
    before = await snapshot(api)
    again, _ = await run(api, settings, snipe_file(*lines), format="snipeit")
    assert (again.unchanged, again.created, again.updated) == (22, 0, 0)
    assert await snapshot(api) == before


async def test_undefined_windows_1252_bytes_keep_every_row_with_a_warning(api: Api, settings: Settings) -> None:
    await add_company(api)
    data = snipe_file(
        snipe_row(1, date="2023-01-23", location="Caf\xe9 Noord"),
        snipe_row(2, date="2023-01-23", notes="Sticker \x8d lid"),
        snipe_row(3, date="2023-01-23", location="Gebouw \x81"),
        encoding="cp1252",
    )
    summary, outcomes = await run(api, settings, data, format="snipeit")
    assert (summary.created, summary.errors) == (3, 0)
    assert summary.readings[0] == "Read as Windows-1252."
    assert summary.readings[1].startswith("2 rows with bytes Windows-1252 leaves undefined")
    assert summary.readings[1].endswith("rows 3, 4.")
    result = by_row(outcomes)
    assert result[2].notes == []
    assert result[3].notes == ["bytes Windows-1252 leaves undefined in notes: read as Latin-1"]
    assert (await device(api, "ACME-0001"))["location"] == "Café Noord"
    assert (await device(api, "ACME-0003"))["location"] == "Gebouw \x81"


async def test_a_file_with_every_problem_at_once(api: Api, settings: Settings) -> None:
    data = snipe_file(
        snipe_row(1, date="1/23/23", cost='"$1,249.00"'),                       # 2 kept: dollar sign, thousands
        ",,,,,,,,,,,,,,,,,,,,,,,",                                               # 3 only commas: skipped
        "",                                                                      # 4 blank line: skipped
        SNIPE_HEADER,                                                            # 5 the header again: skipped
        snipe_row(2, date="13/45/23"),                                           # 6 refused: purchase_date
        snipe_row(3, date="2/2/23", cost='"€ 1.099,00"', notes="Kapot scherm \x9d"),  # 7 kept, warned (byte)
        snipe_row(4, date="2/2/23", cost="lots"),                                # 8 refused: purchase_price
        snipe_row(5, date="2/2/23", checkout="Location", place="Vergaderzaal 2", status="Deployed"),  # 9 kept
        snipe_row(6, date="2/2/23", checkout="Desk"),                            # 10 refused: checkout_type
        snipe_row(7, date="2/2/23", person=("", "", "", "not-an-email"), checkout="User"),  # 11 refused: holder
        snipe_row(8, date="1/1/30"),                                             # 12 refused: in the future
        encoding="cp1252",
    )  # fmt: skip
    await add_company(api)
    summary, outcomes = await run(api, settings, data, format="snipeit")
    result = by_row(outcomes)
    assert sorted(result) == [2, 6, 7, 8, 9, 10, 11, 12]
    assert {n for n, o in result.items() if o.outcome == "created"} == {2, 7, 9}
    assert errors_of(result[6]) == {"purchase_date": '"13/45/23" is not a date (use Y-m-d, m/d/Y, m/d/y or d-m-Y)',
                                    "warranty_months": "needs a purchase date in the same row"}  # fmt: skip
    assert errors_of(result[8]) == {"purchase_price": '"lots" is not a number'}
    assert errors_of(result[10]) == {"checkout_type": '"Desk" is not User, Location or Asset'}
    assert errors_of(result[11]) == {"holder": '"not-an-email" is not an email address'}
    assert errors_of(result[12]) == {"purchase_date": "2030-01-01 is in the future"}
    assert (await device(api, "ACME-0001"))["purchase_price_cents"] == 124900
    assert (await device(api, "ACME-0003"))["purchase_price_cents"] == 109900
    placed = await device(api, "ACME-0005")
    assert (placed["location"], placed["status"], placed["holder_id"]) == ("Vergaderzaal 2", "in_stock", None)
    assert summary.readings == [
        "Read as Windows-1252.",
        "7 rows with dates with a two-digit year, read as m/d/y (00-68 as 20xx, 69-99 as 19xx; --date-order "
        "settles the order): rows 2, 7, 8, 9, 10, 11, 12.",
        "1 row with bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), kept as their Latin-1 "
        "characters: check those cells: row 7.",
        "1 row with the header row repeated, skipped: row 5.",
        "2 rows with blank or only delimiters, skipped: rows 3, 4.",
    ]
    assert (summary.created, summary.errors, summary.rows) == (3, 5, 8)
    audit = await rows(api, "SELECT count(*) AS n FROM devices")
    assert audit[0]["n"] == 3


def test_the_cli_says_how_the_file_was_read(tmp_path: Path) -> None:
    env = {"KRINGLOOP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
           "KRINGLOOP_SECRET_KEY": "cli-test-secret-0123456789", "KRINGLOOP_LOG_LEVEL": "WARNING",
           "KRINGLOOP_LANG": "en", "PATH": "/usr/bin:/bin"}  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    cli = [sys.executable, "-m", "service.cli"]
    assert subprocess.run([*cli, "migrate"], env=env, cwd=root, capture_output=True, timeout=120).returncode == 0
    path = tmp_path / "snipe.csv"
    # No company named: the default one (a database just migrated has no other).
    path.write_bytes(snipe_file(snipe_row(1, date="1/23/23", notes="\x90", company=""), encoding="cp1252"))
    done = subprocess.run([*cli, "import", "devices", str(path), "--format", "snipeit"], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 row: 1 created, 0 updated, 0 unchanged, 0 refused." in done.stdout
    assert "Read as Windows-1252." in done.stdout
    assert "1 row with dates with a two-digit year" in done.stdout
    assert "1 row with bytes Windows-1252 leaves undefined" in done.stdout
