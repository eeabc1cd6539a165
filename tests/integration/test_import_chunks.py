"""What one chunk of an import leaves for the next, on SQLite and PostgreSQL.

On PostgreSQL the next chunk is planned while the one before it is still being written (service.py), so
its reads cannot see that chunk's uncommitted changes. These files put the dependent rows in different chunks
(``chunk_size=1``), hold each chunk's transaction open a moment after it has written (``slow_commits``) so the
next chunk is surely planned meanwhile, and check the outcome is what importing them one after another gives.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.audit.service import verify_chain
from service.db import session_scope
from service.imports import references
from service.settings import Settings
from tests.integration.conftest import Api, seed_device, seed_model
from tests.integration.import_helpers import HEADER, by_row, csv_text, device, rows, run

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
