"""What one chunk of an import leaves for the next, on SQLite and PostgreSQL.

On PostgreSQL the next chunk is planned while the one before it is still being written (service.py), so
its reads cannot see that chunk's uncommitted changes. These files put the dependent rows in different chunks
(``chunk_size=1``), hold each chunk's transaction open a moment after it has written (``slow_commits``) so the
next chunk is surely planned meanwhile, and check the outcome is what importing them one after another gives.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest

from service.audit.service import verify_chain
from service.context import Actor
from service.db import session_scope
from service.imports import references
from service.imports.service import ImportOptions, RowOutcome, run_import
from service.settings import Settings
from tests.integration.conftest import Api, seed_device, seed_model
from tests.integration.import_helpers import HEADER, by_row, csv_text, device, errors_of, rows, run

LAPTOP = "Dell,Latitude 5440,laptop,2024-03-01,1249.00"


@pytest.fixture
def slow_commits(monkeypatch: pytest.MonkeyPatch) -> None:
    import service.imports.service as importing

    real = importing.write_chunk

    async def written_then_wait(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        await asyncio.sleep(0.2)

    monkeypatch.setattr(importing, "write_chunk", written_then_wait)


@pytest.mark.usefixtures("slow_commits")
async def test_a_tag_taken_off_one_device_names_a_new_device_in_a_later_chunk(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    old = await seed_device(api, model["id"], asset_tag="KL-OLD", serial_number="SN1")
    data = csv_text(f"KL-NEW,SN1,{LAPTOP}", f"KL-OLD,SN2,{LAPTOP}", f"KL-OLD2,SN3,{LAPTOP}")
    summary, outcomes = await run(api, settings, data, chunk_size=1)
    assert (summary.updated, summary.created, summary.errors) == (1, 2, 0), [o.errors for o in outcomes]
    assert (await device(api, "KL-NEW"))["id"] == old["id"]
    reused = await device(api, "KL-OLD")
    assert reused["id"] != old["id"] and reused["serial_number"] == "SN2"
    assert by_row(outcomes)[3].device_id == reused["id"]


@pytest.mark.usefixtures("slow_commits")
async def test_models_and_employees_a_chunk_creates_are_found_by_later_chunks(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tiny cache is emptied between almost every pair of chunks: what an earlier chunk created (perhaps still
    # being written) must be found, never created twice.
    monkeypatch.setattr(references, "MAX_CACHED", 1)
    header = f"{HEADER},holder_email,holder_name"
    people = ["sanne@example.org", "sanne@example.org", "daan@example.org", "daan@example.org", "emma@example.org"]
    data = csv_text(
        *[f"KL-{n},SN{n},Dell,Latitude {n // 2},laptop,2024-03-01,1249.00,{email},{email.split('@')[0].title()}"
          for n, email in enumerate(people)],
        header=header,
    )  # fmt: skip
    summary, outcomes = await run(api, settings, data, chunk_size=1)
    assert (summary.created, summary.errors) == (5, 0), [o.errors for o in outcomes]
    employees = await rows(api, "SELECT id, email FROM employees ORDER BY email")
    assert [e["email"] for e in employees] == ["daan@example.org", "emma@example.org", "sanne@example.org"]
    holders = await rows(
        api, "SELECT d.asset_tag, e.email FROM devices d JOIN employees e ON e.id = d.holder_id ORDER BY d.asset_tag"
    )
    assert [h["email"] for h in holders] == people
    models = await rows(api, "SELECT name FROM device_models WHERE manufacturer = 'Dell' ORDER BY name")
    assert [m["name"] for m in models] == ["Latitude 0", "Latitude 1", "Latitude 2"]
    imports = await rows(api, "SELECT entity_id FROM audit_records WHERE action = 'device.import' ORDER BY seq")
    assert [r["entity_id"].split(":")[1] for r in imports] == [f"{n}-{n}" for n in range(2, 7)]
    async with session_scope(api.app.state.sessionmaker) as session:
        assert (await verify_chain(session)).ok


async def test_a_failing_chunk_leaves_the_chunks_before_it_and_nothing_after(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third chunk's write fails while the fourth is planned beside it: the fourth's open transaction goes
    too, and a second run takes up exactly what the first did not write."""
    import service.imports.writer as writer

    real = writer.write_chunk
    calls = {"n": 0}

    async def third_fails(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the database went away")
        await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("service.imports.service.write_chunk", third_fails)
    data = csv_text(*[f"KL-{n},SN{n},{LAPTOP}" for n in range(1, 7)])
    with pytest.raises(RuntimeError):
        await run(api, settings, data, chunk_size=1)
    assert [d["asset_tag"] for d in await rows(api, "SELECT asset_tag FROM devices ORDER BY id")] == ["KL-1", "KL-2"]
    idle = await _open_transactions(api)
    assert idle == 0
    monkeypatch.setattr("service.imports.service.write_chunk", real)
    summary, _ = await run(api, settings, data, chunk_size=1)
    assert (summary.unchanged, summary.created, summary.errors) == (2, 4, 0)


async def _open_transactions(api: Api) -> int:
    """Connections of this database left inside a transaction (PostgreSQL; SQLite has one writer at a time)."""
    if api.app.state.engine.dialect.name != "postgresql":
        return 0
    found = await rows(
        api,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
    )
    return int(found[0]["n"])


@pytest.mark.usefixtures("slow_commits")
async def test_a_username_names_the_employee_an_earlier_chunk_creates(api: Api, settings: Settings) -> None:
    header = f"{HEADER},holder_email,holder_name,username"
    data = csv_text(
        f"KL-1,SN1,{LAPTOP},sanne@example.org,Sanne de Vries,", f"KL-2,SN2,{LAPTOP},,,sanne", header=header
    )
    summary, outcomes = await run(api, settings, data, chunk_size=1)
    assert (summary.created, summary.errors) == (2, 0), [o.errors for o in outcomes]
    holders = await rows(api, "SELECT DISTINCT holder_id FROM devices")
    employees = await rows(api, "SELECT id FROM employees")
    assert len(employees) == 1 and [h["holder_id"] for h in holders] == [employees[0]["id"]]


@pytest.mark.usefixtures("slow_commits")
async def test_a_serial_without_its_maker_after_a_row_with_it_is_refused(api: Api, settings: Settings) -> None:
    hp = await seed_model(api, manufacturer="HP", name="EliteBook 840", category="laptop")
    other = await seed_device(api, hp["id"], asset_tag="HP-1", serial_number="ABC", location="Utrecht")
    header = f"{HEADER},location"
    data = csv_text(f"KL-1,ABC,{LAPTOP},Delft", ",ABC,,,,,,Rotterdam", header=header)
    summary, outcomes = await run(api, settings, data, chunk_size=1)
    assert (summary.created, summary.updated, summary.errors) == (1, 0, 1)
    assert errors_of(by_row(outcomes)[3]) == {
        "serial_number": "row 2 has this serial number; each device may appear once in a file"
    }
    assert (await device(api, "HP-1"))["location"] == other["location"] == "Utrecht"
    # A later import gives the serial alone: two makers' devices have it.
    summary, outcomes = await run(api, settings, csv_text(",ABC,,,,,,Rotterdam", header=header))
    assert "manufacturer" in errors_of(outcomes[0]), outcomes[0].errors


async def test_a_device_changed_by_someone_else_after_its_chunk_was_planned_is_refused(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if api.app.state.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a planned chunk's transaction keeps every other writer out until it is written")
    from service.imports.plan import ChunkPlanner

    model = await seed_model(api)
    target = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN2", location="Utrecht")
    real = ChunkPlanner.lock_changes

    async def someone_edits_first(self: ChunkPlanner, session: Any, planned: Any, work: Any) -> None:
        if work.changes:  # planned from version 1; the chunk before has committed, this one is not locked yet
            edit = await api.patch("helpdesk", f"/api/v1/devices/{target['id']}", {"version": 1, "notes": "x"})
            assert edit.status_code == 200, edit.text
        await real(self, session, planned, work)

    monkeypatch.setattr(ChunkPlanner, "lock_changes", someone_edits_first)
    data = csv_text(f"KL-1,SN1,{LAPTOP},Delft", f"KL-2,SN2,{LAPTOP},Rotterdam", header=f"{HEADER},location")
    summary, outcomes = await run(api, settings, data, chunk_size=1)
    assert (summary.created, summary.updated, summary.errors) == (1, 0, 1)
    assert "changed by someone else during the import" in errors_of(by_row(outcomes)[3])["row"]
    after = await device(api, "KL-2")
    assert (after["location"], after["notes"]) == ("Utrecht", "x")


@pytest.mark.usefixtures("slow_commits")
async def test_planning_that_fails_lets_the_chunk_being_written_finish_and_be_reported(
    api: Api, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.imports.plan import ChunkPlanner

    real = ChunkPlanner.plan
    calls = {"n": 0}

    async def third_fails(self: ChunkPlanner, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the database went away")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(ChunkPlanner, "plan", third_fails)
    reported: list[RowOutcome] = []
    data = csv_text(*[f"KL-{n},SN{n},{LAPTOP}" for n in range(1, 5)])
    with pytest.raises(RuntimeError):
        await run_import(
            api.app.state.sessionmaker, settings, Actor.cli("test"), io.BytesIO(data), ImportOptions(chunk_size=1),
            on_row=reported.append,
        )  # fmt: skip
    assert [(o.row, o.outcome) for o in reported] == [(2, "created"), (3, "created")]
    assert [d["asset_tag"] for d in await rows(api, "SELECT asset_tag FROM devices ORDER BY id")] == ["KL-1", "KL-2"]
