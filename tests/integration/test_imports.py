"""Device imports through run_import, on SQLite and PostgreSQL: what they write, refuse, and never touch."""

from __future__ import annotations

import io
from typing import Any

import pytest

from service.audit.service import verify_chain
from service.context import Actor
from service.db import session_scope
from service.imports.reader import UnusableFile
from service.imports.service import ImportOptions, run_import
from service.settings import Settings
from tests.integration.conftest import Api, seed_device, seed_employee, seed_model
from tests.integration.import_helpers import (
    HEADER,
    by_row,
    csv_text,
    device,
    errors_of,
    json_column,
    rows,
    run,
    snapshot,
)

LAPTOP = "Dell,Latitude 5440,laptop,2024-03-01,1249.00"


async def test_encodings_delimiters_and_line_endings(api: Api, settings: Settings) -> None:
    header = "Asset Tag;Serial;Manufacturer;Model;Category;Purchase Date;Purchase Cost;Location"
    for n, (encoding, newline, delimiter) in enumerate(
        [("utf-8", "\n", ","), ("utf-8-sig", "\r\n", ";"), ("cp1252", "\r", ";"), ("cp1252", "\r\n", ",")]
    ):
        cells = [f"KL-{n}", f"SN-{n}", "Dell", "Latitude 5440", "laptop", "2024-03-01", "1249", "Café Zürich \u2013 2"]
        text = newline.join([header.replace(";", delimiter), delimiter.join(cells), ""])
        summary, outcomes = await run(api, settings, text.encode(encoding))
        assert (summary.created, summary.errors) == (1, 0), outcomes
        assert (await device(api, f"KL-{n}"))["location"] == "Café Zürich \u2013 2"


async def test_snipeit_headers_numbers_and_dates_end_to_end(api: Api, settings: Settings) -> None:
    header = ("Company,Asset Name,Asset Tag,Category,Manufacturer,Model Name,Serial Number,Purchase Date,"
              "Purchase Cost,Warranty,Order Number,Supplier,Status,Model Notes")  # fmt: skip
    data = csv_text(
        'Acme,Laptop 1,KL-1,Laptops,Lenovo,ThinkPad T14,SN1,2024-03-01,"1,234.56",36,PO-1,Bechtle,Ready to Deploy,',
        'Acme,Laptop 2,KL-2,Laptops,Lenovo,ThinkPad T14,SN2,03/04/2024,"1.234,56",,PO-2,,Ready to Deploy,',
        "Acme,Laptop 3,KL-3,Laptops,Lenovo,ThinkPad T14,SN3,03-04-2024,999,,,,,",
        header=header,
    )
    acme = (await api.post("admin", "/api/v1/companies/", json={"name": "ACME"})).json()
    summary, outcomes = await run(api, settings, data, format="snipeit")
    assert (summary.created, summary.errors, summary.ignored_columns) == (3, 0, []), outcomes
    one, two, three = [await device(api, f"KL-{n}") for n in (1, 2, 3)]
    assert (one["notes"], one["company_id"]) == ("", acme["id"]), "found by name in any case; no notes line"
    assert (one["purchase_price_cents"], str(one["warranty_end"]), one["order_ref"], one["supplier"]) == (
        123456, "2027-03-01", "PO-1", "Bechtle"
    )  # fmt: skip
    assert (two["purchase_price_cents"], str(two["purchase_date"])) == (123456, "2024-03-04")
    assert str(three["purchase_date"]) == "2024-04-03"
    # --date-order settles the slashes the other way; a number that reads two ways needs a decimal mark.
    again = csv_text('KL-4,SN4,Lenovo,ThinkPad T14,laptop,03/04/2024,"1,234"')
    _, refused = await run(api, settings, again)
    assert "reads two ways" in errors_of(refused[0])["purchase_price"]
    summary, _ = await run(api, settings, again, date_order="dmy", decimal_mark="point")
    assert summary.created == 1
    four = await device(api, "KL-4")
    assert (str(four["purchase_date"]), four["purchase_price_cents"]) == ("2024-04-03", 123400)


async def test_models_manufacturers_and_employees_are_found_or_created(api: Api, settings: Settings) -> None:
    model = await seed_model(api)  # Dell Latitude 5440
    sanne = await seed_employee(api)  # sanne.de.jong@example.nl
    header = f"{HEADER_HOLDER},status"
    data = csv_text(
        "KL-1,SN1,DELL,latitude 5440,laptop,2024-03-01,1000,SANNE.DE.JONG@example.nl,,in_use",
        "KL-2,SN2,Dell,Precision 3581,Laptops,2024-03-01,1000,new.person@example.nl,New Person,in_use",
        "KL-3,SN3,Dell,Precision 3581,laptop,2024-03-01,1000,,New Person,in_use",
        "KL-4,SN4,Dell,Precision 3581,laptop,2024-03-01,1000,,Nobody Known,in_use",
        "KL-5,SN5,Acme,Gizmo,Gadgets,2024-03-01,1000,,,",
        header=header,
    )
    summary, outcomes = await run(api, settings, data)
    result = by_row(outcomes)
    assert [result[n].outcome for n in range(2, 7)] == ["created", "created", "created", "error", "created"]
    assert "add their email" in errors_of(result[5])["holder"]
    assert summary.unknown_categories == ["Gadgets"] and "Gadgets" in result[6].notes[0]
    one, two, three = [await device(api, f"KL-{n}") for n in (1, 2, 3)]
    assert (one["model_id"], one["manufacturer"], one["holder_id"]) == (model["id"], "Dell", sanne["id"])
    assert two["holder_id"] == three["holder_id"] != sanne["id"]
    models = await rows(api, "SELECT manufacturer, name, category, storage_media_count FROM device_models ORDER BY id")
    assert models[1:] == [
        {"manufacturer": "Dell", "name": "Precision 3581", "category": "laptop", "storage_media_count": 1},
        {"manufacturer": "Acme", "name": "Gizmo", "category": "other", "storage_media_count": 1},
    ]
    people = await rows(api, "SELECT name, email FROM employees ORDER BY id")
    assert people[1:] == [{"name": "New Person", "email": "new.person@example.nl"}]


HEADER_HOLDER = (
    "asset_tag,serial_number,manufacturer,model,category,purchase_date,purchase_price,holder_email,holder_name"
)


async def test_duplicates_within_a_file_name_the_first_row_across_chunks(api: Api, settings: Settings) -> None:
    data = csv_text(
        f"KL-1,SN1,{LAPTOP}", f"KL-2,SN2,{LAPTOP}", f"KL-3,SN1,{LAPTOP}", f"KL-2,SN9,{LAPTOP}",
        f"KL-5,sn1,{LAPTOP}", "KL-6,SN1,HP,EliteBook,laptop,2024-03-01,1",
    )  # fmt: skip
    summary, outcomes = await run(api, settings, data, chunk_size=2)
    result = by_row(outcomes)
    assert "row 2 has the same manufacturer and serial number" in errors_of(result[4])["serial_number"]
    assert "row 3 has the same asset tag" in errors_of(result[5])["asset_tag"]
    # Serials are unique per manufacturer, and compared as written.
    assert (result[6].outcome, result[7].outcome) == ("created", "created")
    assert (summary.created, summary.errors) == (4, 2)


async def test_rows_matching_the_database_update_or_collide(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    existing = await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1", location="Utrecht")
    await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN2")
    tag_only = await seed_device(api, model["id"], asset_tag="KL-3", serial_number=None)
    header = f"{HEADER},location"
    data = csv_text(
        f"KL-1,SN1,{LAPTOP},Amsterdam",  # same device: its location changes
        f"KL-2,SN7,{LAPTOP},",  # KL-2 belongs to the device with SN2
        f"KL-3,SN3,{LAPTOP},",  # the device registered by tag alone gets its serial
        f",SN1,{LAPTOP},Amsterdam",  # by serial, without a tag: the same device, already so
        header=header,
    )
    summary, outcomes = await run(api, settings, data)
    result = by_row(outcomes)
    assert (result[2].outcome, result[2].device_id) == ("updated", existing["id"])
    assert "already belongs to another device" in errors_of(result[3])["asset_tag"]
    assert (result[4].outcome, result[4].device_id) == ("updated", tag_only["id"])
    assert "serial number added" in result[4].notes[0]
    assert "row 2 has the same" in errors_of(result[5])["serial_number"]
    updated = await device(api, "KL-1")
    assert (updated["location"], updated["version"]) == ("Amsterdam", existing["version"] + 1)
    assert (await device(api, "KL-3"))["serial_number"] == "SN3"
    assert summary.exit_code == 1


async def test_dry_run_validates_everything_and_writes_nothing(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1")
    before = await snapshot(api)
    data = csv_text(f"KL-1,SN1,{LAPTOP}", "KL-2,SN2,HP,New Model,laptop,2024-03-01,10", f"KL-1,SN3,{LAPTOP}",
                    header=HEADER)  # fmt: skip
    summary, outcomes = await run(api, settings, data, dry_run=True)
    assert [o.outcome for o in outcomes] == ["unchanged", "created", "error"]
    assert summary.dry_run and summary.exit_code == 1
    assert await snapshot(api) == before


async def test_a_second_import_of_the_same_file_changes_nothing(api: Api, settings: Settings) -> None:
    data = csv_text(
        *[f"KL-{n},SN{n},{LAPTOP}" for n in range(1, 6)],
        "KL-6,SN6,Dell,Latitude 5440,laptop,2024-03-01,1249.00,sanne@example.nl,Sanne,in_repair",
        "KL-7,SN7,Dell,Latitude 5440,laptop,2020-03-01,1249.00,,,retired",
        header=f"{HEADER_HOLDER},status",
    )
    first, _ = await run(api, settings, data, chunk_size=3)
    assert (first.created, first.errors) == (7, 0)
    before = await snapshot(api)
    second, outcomes = await run(api, settings, data, chunk_size=3)
    assert (second.unchanged, second.created, second.updated, second.errors) == (7, 0, 0, 0)
    assert {o.device_id for o in outcomes} == {d["id"] for d in before["devices"]}
    assert await snapshot(api) == before


async def test_snipeit_statuses_become_states_with_their_events(api: Api, settings: Settings) -> None:
    header = "Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date,Purchase Cost,Status," \
             "Checked Out To: Email,Checked Out To: First Name,Checked Out To: Last Name"  # fmt: skip
    data = csv_text(
        "KL-1,SN1,Dell,Latitude 5440,Laptops,2024-03-01,1000,Ready to Deploy,,,",
        "KL-2,SN2,Dell,Latitude 5440,Laptops,2024-03-01,1000,Ready to Deploy,sanne@example.nl,Sanne,de Jong",
        "KL-3,SN3,Dell,Latitude 5440,Laptops,2024-03-01,1000,Pending Diagnostics,sanne@example.nl,Sanne,de Jong",
        "KL-4,SN4,Dell,Latitude 5440,Laptops,2024-03-01,1000,Broken,,,",
        "KL-5,SN5,Dell,Latitude 5440,Laptops,2024-03-01,1000,Stolen,,,",
        "KL-6,SN6,Dell,Latitude 5440,Laptops,2024-03-01,1000,Archived,joost@example.nl,Joost,Bakker",
        "KL-7,SN7,Dell,Latitude 5440,Laptops,2024-03-01,1000,Out on loan,,,",
        header=header,
    )
    summary, outcomes = await run(api, settings, data, format="snipeit", actor=Actor.cli("snipe"))
    assert (summary.created, summary.errors, summary.unknown_statuses) == (7, 0, ["Out on loan"])
    states = {
        d["asset_tag"]: (d["status"], d["holder_id"] is not None) for d in await rows(api, "SELECT * FROM devices")
    }
    assert states == {
        "KL-1": ("in_stock", False), "KL-2": ("in_use", True), "KL-3": ("in_repair", True),
        "KL-4": ("in_repair", False), "KL-5": ("lost", False), "KL-6": ("retired", False), "KL-7": ("in_stock", False),
    }  # fmt: skip
    assert "not kept as holder" in by_row(outcomes)[7].notes[0]
    events = await rows(
        api, "SELECT d.asset_tag, e.move, e.from_status, e.to_status, e.actor FROM device_events e "
        "JOIN devices d ON d.id = e.device_id ORDER BY d.asset_tag, e.id",
    )  # fmt: skip
    moves = {}
    for e in events:
        moves.setdefault(e["asset_tag"], []).append(e["move"])
        assert e["actor"] == "cli:snipe"
    assert moves == {
        "KL-1": ["register"], "KL-2": ["register", "assign"], "KL-3": ["register", "assign", "repair"],
        "KL-4": ["register", "repair"], "KL-5": ["register", "lost"], "KL-6": ["register", "retire"],
        "KL-7": ["register"],
    }  # fmt: skip
    register = (await rows(api, "SELECT details FROM device_events WHERE move = 'register' LIMIT 1"))[0]["details"]
    assert "import" in (register if isinstance(register, str) else str(register))
    repairs = await rows(api, "SELECT d.asset_tag FROM repairs r JOIN devices d ON d.id = r.device_id ORDER BY 1")
    assert [r["asset_tag"] for r in repairs] == ["KL-3", "KL-4"]
    # No employee is created for the archived device's holder: it was not kept.
    assert [e["email"] for e in await rows(api, "SELECT email FROM employees")] == ["sanne@example.nl"]


async def test_status_changes_of_existing_devices_follow_the_lifecycle(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    sanne = await seed_employee(api)
    in_use = await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1", holder_id=sanne["id"])
    retired = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN2")
    await api.post("helpdesk", f"/api/v1/devices/{retired['id']}/retire", {"reason": "broken screen"})
    data = csv_text(f"KL-1,SN1,{LAPTOP},in_repair", f"KL-2,SN2,{LAPTOP},in_stock", header=f"{HEADER},status")
    _summary, outcomes = await run(api, settings, data)
    result = by_row(outcomes)
    assert result[2].outcome == "updated"
    assert "cannot become in_stock" in errors_of(result[3])["status"]
    assert (await device(api, "KL-1"))["status"] == "in_repair"
    assert (await device(api, "KL-1"))["holder_id"] == sanne["id"]
    moves = await rows(api, "SELECT move, actor FROM device_events WHERE device_id = :d ORDER BY id", d=in_use["id"])
    assert [m["move"] for m in moves] == ["register", "assign", "repair"] and moves[-1]["actor"] == "cli:test"
    # The repair follows the move as it does from the page.
    assert len(await rows(api, "SELECT id FROM repairs WHERE device_id = :d", d=in_use["id"])) == 1
    back, _ = await run(api, settings, csv_text(f"KL-1,SN1,{LAPTOP},in_stock", header=f"{HEADER},status"))
    assert back.updated == 1
    moves = await rows(api, "SELECT move FROM device_events WHERE device_id = :d ORDER BY id", d=in_use["id"])
    assert [m["move"] for m in moves][-2:] == ["return", "unassign"]


async def test_a_device_past_the_wipe_gate_is_never_changed(api: Api, settings: Settings) -> None:
    monitor = await seed_model(api, name="P2422H", category="monitor", storage_media_count=0, storage_media_type=None)
    wiped = await seed_device(api, monitor["id"], asset_tag="KL-1", serial_number="SN1", location="Utrecht")
    await api.post("helpdesk", f"/api/v1/devices/{wiped['id']}/retire", {"reason": "dead pixels"})
    await api.post("helpdesk", f"/api/v1/devices/{wiped['id']}/no-media-attestation",
                   {"statement": "A monitor has no storage media."})  # fmt: skip
    assert (await device(api, "KL-1"))["status"] == "wiped"
    header = f"{HEADER},status,location"
    same = "KL-1,SN1,Dell,P2422H,monitor,2024-03-01,1249.00,wiped,Utrecht"
    summary, _ = await run(api, settings, csv_text(same, header=header))
    assert summary.unchanged == 1
    before = await snapshot(api)
    moved = same.replace("Utrecht", "Amsterdam")
    _, refused = await run(api, settings, csv_text(moved, header=header))
    assert "never changes such a device" in errors_of(refused[0])["status"]
    _, refused = await run(api, settings, csv_text(f"KL-9,SN9,{LAPTOP},valued,", header=header))
    assert "never sets valued" in errors_of(refused[0])["status"]
    assert await snapshot(api) == before  # refused rows write nothing: no device, event or audit record


async def test_obligations_for_qualifying_purchases_and_the_audit_chain(api: Api, settings: Settings) -> None:
    data = csv_text(
        f"KL-1,SN1,{LAPTOP}",  # a laptop bought in 2024 owes one
        "KL-2,SN2,Dell,Latitude 5440,laptop,2022-12-31,900",  # before the policy start: none
        "KL-3,SN3,Dell,P2422H,monitor,2024-03-01,200",  # not a compensated category: none
        "KL-4,SN4,Apple,iPhone 15,phone,2024-05-01,969",
    )
    summary, _outcomes = await run(api, settings, data, chunk_size=2, actor=Actor.cli("chain"))
    assert summary.created == 4
    owed = await rows(api, "SELECT d.asset_tag FROM compensation_obligations o JOIN devices d ON d.id = o.device_id")
    assert sorted(o["asset_tag"] for o in owed) == ["KL-1", "KL-4"]
    media = await rows(
        api, "SELECT d.asset_tag, m.media_type FROM storage_media m JOIN devices d ON d.id = m.device_id"
    )
    assert sorted((m["asset_tag"], m["media_type"]) for m in media) == [
        ("KL-1", "ssd"), ("KL-2", "ssd"), ("KL-4", "phone_memory")
    ]  # fmt: skip
    records = await rows(api, "SELECT actor, action, entity_id, after FROM audit_records ORDER BY seq")
    imports = [r for r in records if r["action"] == "device.import"]
    assert len(imports) == 2 and {r["actor"] for r in records} == {"cli:chain"}
    assert [r["entity_id"].split(":")[1] for r in imports] == ["2-3", "4-5"]
    # Each chunk's record lists the obligations it created ([obligation id, device id]); no record of their own.
    listed = [pair for r in imports for pair in (json_column(r["after"]).get("obligations_created") or [])]
    stored = await rows(api, "SELECT id, device_id FROM compensation_obligations ORDER BY id")
    assert listed == [[o["id"], o["device_id"]] for o in stored]
    assert not [r for r in records if r["action"] == "compensation_obligation.create"]
    async with session_scope(api.app.state.sessionmaker) as session:
        assert (await verify_chain(session)).ok


async def test_a_crash_mid_file_leaves_no_half_written_row(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.imports.writer as writer

    # The chunk's audit record comes after all its rows: failing there leaves every one of them to the rollback.
    calls = {"n": 0}
    real = writer.audit.record

    async def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(writer.audit, "record", failing)
    data = csv_text(*[f"KL-{n},SN{n},{LAPTOP}" for n in range(1, 6)])
    with pytest.raises(RuntimeError):
        await run(api, settings, data, chunk_size=2)
    written = await rows(api, "SELECT asset_tag FROM devices ORDER BY id")
    assert [d["asset_tag"] for d in written] == ["KL-1", "KL-2"]
    assert len(await rows(api, "SELECT id FROM device_events")) == 2
    assert len(await rows(api, "SELECT id FROM compensation_obligations")) == 2
    assert len(await rows(api, "SELECT id FROM storage_media")) == 2
    monkeypatch.setattr(writer.audit, "record", real)
    summary, _ = await run(api, settings, data, chunk_size=2)  # the second run takes up the rest
    assert (summary.unchanged, summary.created) == (2, 3)


class _Pipe(io.RawIOBase):
    """A stream that reads but cannot seek, as standard input piped from another program."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.slow  # many seconds: make test-fast leaves it out
async def test_windows_1252_is_recognised_wherever_its_first_accent_stands(api: Api, settings: Settings) -> None:
    header = f"{HEADER},location"
    late = "".join(f"KL-{n},SN{n},{LAPTOP},Utrecht\n" for n in range(1, 20_000)).encode() + (
        f"KL-X,SN-X,{LAPTOP},".encode() + "Café".encode("cp1252") + b"\n"
    )
    summary, _ = await run(api, settings, f"{header}\n".encode() + late)
    assert (summary.created, summary.errors) == (20_000, 0)
    assert (await device(api, "KL-X"))["location"] == "Café"
    short = f"{header}\nKL-Y,SN-Y,{LAPTOP},".encode() + "Café".encode("cp1252")  # its last byte is the accent
    summary, _ = await run(api, settings, short)
    assert summary.created == 1 and (await device(api, "KL-Y"))["location"] == "Café"


async def test_two_rows_about_one_device_by_different_keys(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    existing = await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1", location="Utrecht")
    data = csv_text(f"KL-1,,{LAPTOP},Amsterdam", f",SN1,{LAPTOP},Rotterdam", header=f"{HEADER},location")
    first, outcomes = await run(api, settings, data)
    result = by_row(outcomes)
    assert first.exit_code == 1
    assert (result[2].outcome, result[2].device_id) == ("updated", existing["id"])
    assert "row 2 is about the same device" in errors_of(result[3])["row"]
    after = await device(api, "KL-1")
    assert (after["location"], after["version"]) == ("Amsterdam", existing["version"] + 1)
    again, _ = await run(api, settings, data)
    assert (again.unchanged, again.updated, again.errors) == (1, 0, 1)


async def test_an_unusable_file_writes_nothing_even_when_its_fault_is_at_the_end(api: Api, settings: Settings) -> None:
    good = "".join(f"KL-{n},SN{n},{LAPTOP}\n" for n in range(1, 20_000))
    # A UTF-8 file (its first rows say so: "Café" in UTF-8) with a byte that is no UTF-8, past the part the reader
    # sniffs the encoding from: read as Windows-1252 instead, every accent would be garbled, so it is refused.
    head = f"{HEADER}\nKL-0,SN0,Dell,Café,laptop,2024-03-01,1\n{good}"
    data = head.encode() + b"KL-X,SN-X,Dell,Caf\xe9,laptop,2024-03-01,1\n"
    assert len(data) > 1 << 20
    with pytest.raises(UnusableFile, match="not valid utf-8"):
        await run_import(api.app.state.sessionmaker, settings, Actor.cli("t"), io.BytesIO(data), ImportOptions())
    assert await rows(api, "SELECT id FROM devices") == []
    # Standard input cannot seek: it is spooled and checked whole all the same.
    with pytest.raises(UnusableFile, match="not valid utf-8"):
        await run_import(api.app.state.sessionmaker, settings, Actor.cli("t"), _Pipe(data), ImportOptions())
    assert await rows(api, "SELECT id FROM devices") == []
    # Plain ASCII up front and Windows-1252 at the end, even a byte it leaves undefined: read as Windows-1252.
    late = f"{HEADER}\n{good}".encode() + b"KL-X,SN-X,Dell,Caf\xe9 \x81,laptop,2024-03-01,1\n"
    summary = await run_import(api.app.state.sessionmaker, settings, Actor.cli("t"), io.BytesIO(late), ImportOptions())
    assert (summary.errors, summary.readings[0]) == (0, "Read as Windows-1252.")
    assert (await device(api, "KL-X"))["model_id"] is not None
    for bad in (b"", b"name,colour\nx,y\n"):
        with pytest.raises(UnusableFile):
            await run(api, settings, bad)


async def test_a_device_changed_by_someone_else_meanwhile_is_refused_not_overwritten(
    api: Api, settings: Settings, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.kind != "postgres":
        pytest.skip("SQLite's BEGIN IMMEDIATE keeps other writers out for the whole chunk")
    from service.imports.plan import ChunkPlanner

    model = await seed_model(api)
    await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1", location="Utrecht")
    real = ChunkPlanner._find_devices

    async def read_before_someone_else_wrote(self: Any, session: Any, records: Any) -> Any:
        found = await real(self, session, records)
        return [{**d, "version": d["version"] - 1} for d in found]

    monkeypatch.setattr(ChunkPlanner, "_find_devices", read_before_someone_else_wrote)
    _, outcomes = await run(api, settings, csv_text(f"KL-1,SN1,{LAPTOP},Amsterdam", header=f"{HEADER},location"))
    assert "changed by someone else" in errors_of(outcomes[0])["row"]
    assert (await device(api, "KL-1"))["location"] == "Utrecht"


async def test_a_holder_who_left_may_keep_a_device_but_gets_no_new_one(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    sanne = await seed_employee(api)
    await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN1", holder_id=sanne["id"])
    url = f"/api/v1/employees/{sanne['id']}"
    left = await api.patch("helpdesk", url, {"version": sanne["version"], "active": False})
    assert left.status_code == 200, left.text
    header = f"{HEADER_HOLDER},status"
    data = csv_text(f"KL-1,SN1,{LAPTOP},{sanne['email']},,in_use", f"KL-2,SN2,{LAPTOP},{sanne['email']},,in_use",
                    header=header)  # fmt: skip
    _, outcomes = await run(api, settings, data)
    assert outcomes[0].outcome == "unchanged"
    assert "no longer active" in errors_of(outcomes[1])["holder"]


async def test_snipeit_holders_by_username_and_ambiguous_names(api: Api, settings: Settings) -> None:
    sanne = await seed_employee(api)  # sanne.de.jong@example.nl
    await seed_employee(api, "Joost Bakker", email="joost.bakker@example.nl")
    await seed_employee(api, "Joost Bakker", email="j.bakker@example.nl")
    header = "Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date,Purchase Cost,Status," \
             "Checked Out To: Username,Checked Out To"  # fmt: skip
    data = csv_text(
        "KL-1,SN1,Dell,Latitude 5440,Laptops,2024-03-01,1000,Ready to Deploy,sanne.de.jong,",
        "KL-2,SN2,Dell,Latitude 5440,Laptops,2024-03-01,1000,Ready to Deploy,,Joost Bakker",
        "KL-3,SN3,Dell,Latitude 5440,Laptops,2024-03-01,1000,Ready to Deploy,nobody,",
        header=header,
    )
    _, outcomes = await run(api, settings, data, format="snipeit")
    result = by_row(outcomes)
    assert result[2].outcome == "created"
    assert (await device(api, "KL-1"))["holder_id"] == sanne["id"]
    assert "several employees" in errors_of(result[3])["holder"]
    assert "no employee has username" in errors_of(result[4])["holder"]
