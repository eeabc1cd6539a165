"""Export, then import that file: nothing changes. And an export imported into an empty database exports the same."""

from __future__ import annotations

import io
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.app import create_app
from service.companies.models import Company
from service.context import Actor
from service.devices.repository import export_pages
from service.imports.export import csv_chunks
from service.imports.service import ImportOptions, ImportSummary, run_import
from service.migrate import upgrade
from service.settings import Settings
from tests.conftest import Database, create_pg_database, drop_pg_database, make_settings
from tests.integration.conftest import Api, seed_device, seed_employee, seed_model
from tests.integration.import_helpers import seed_fleet, snapshot


async def csv_export(api: Api) -> bytes:
    response = await api.get("auditor", "/api/v1/devices", params={"format": "csv"})
    assert response.status_code == 200, response.text
    return response.content


async def import_file(api: Api, settings: Settings, body: bytes) -> ImportSummary:
    return await run_import(
        api.app.state.sessionmaker, settings, Actor.cli("roundtrip"), io.BytesIO(body), ImportOptions()
    )


async def seed_companies(api: Api) -> None:
    """A second company ("Zorg  Noord": the export writes its name as it is, spaces and all) with a device held by
    its own employee and one in stock, each with a cost centre, and a cost centre on a default company device."""
    zorg = (await api.post("admin", "/api/v1/companies/", json={"name": "Zorg  Noord"})).json()
    eva = await api.post("admin", "/api/v1/employees", {"name": "Eva Visser", "email": "eva@example.nl",
                                                         "company_id": zorg["id"]})  # fmt: skip
    assert eva.status_code == 201, eva.text
    laptop = await seed_model(api, name="Latitude 7450")
    await seed_device(api, laptop["id"], asset_tag="ZN-1", serial_number="ZN-SN-1", company_id=zorg["id"],
                      cost_centre="Zorg-IT 4100", holder_id=eva.json()["id"])  # fmt: skip
    await seed_device(api, laptop["id"], asset_tag="ZN-2", serial_number="ZN-SN-2", company_id=zorg["id"],
                      cost_centre="=formula?")  # fmt: skip
    piet = await seed_employee(api, "Piet Bakker")
    await seed_device(api, laptop["id"], asset_tag="KL-CC", serial_number="SN-CC", cost_centre="Finance",
                      holder_id=piet["id"])  # fmt: skip


async def test_importing_an_export_changes_nothing_and_says_so(api: Api, settings: Settings) -> None:
    await seed_fleet(api)
    await seed_companies(api)
    before = await snapshot(api)
    exported = await csv_export(api)
    assert ",Zorg  Noord,Zorg-IT 4100\r\n" in exported.decode() and ",Default company,Finance\r\n" in exported.decode()
    summary = await import_file(api, settings, exported)
    assert (summary.created, summary.updated, summary.errors) == (0, 0, 0), summary
    assert summary.unchanged == summary.rows == before["counts"]["devices"] == 9
    assert summary.exit_code == 0 and summary.ignored_columns == []
    assert await snapshot(api) == before, "versions, timestamps, events and audit records all as they were"


async def test_formula_like_text_survives_the_round_trip(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    await seed_device(api, model["id"], asset_tag="=1+1", serial_number="-SN-1", location="@desk", notes="'quoted",
                      supplier="+31 shop")  # fmt: skip
    before = await snapshot(api)
    exported = await csv_export(api)
    assert "'=1+1,'-SN-1," in exported.decode(), "the export marks formula-like text, and the import unmarks it"
    summary = await import_file(api, settings, exported)
    assert (summary.unchanged, summary.errors) == (1, 0), summary
    assert await snapshot(api) == before


async def test_devices_past_retirement_come_back_unchanged(api: Api, settings: Settings) -> None:
    monitor = await seed_model(api, manufacturer="Dell", name="P2422H", category="monitor", storage_media_count=0,
                               storage_media_type=None)  # fmt: skip
    device = await seed_device(api, monitor["id"])
    await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "dead pixels"})
    attested = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/no-media-attestation",
                              {"statement": "A monitor has no storage media."})  # fmt: skip
    assert attested.status_code == 201, attested.text
    before = await snapshot(api)
    exported = await csv_export(api)
    assert ",wiped,," in exported.decode()
    summary = await import_file(api, settings, exported)
    assert (summary.unchanged, summary.errors) == (1, 0), summary
    assert await snapshot(api) == before


@pytest.fixture
def empty_database(database: Database, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second migrated, empty database of the same kind as ``database``."""
    if database.kind == "sqlite":
        path = tmp_path / "second.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"kringloop_t_rt_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


async def test_an_export_imported_into_an_empty_database_exports_the_same(api: Api, empty_database: str) -> None:
    await seed_fleet(api)
    await seed_companies(api)
    exported = await csv_export(api)
    other_settings = make_settings(empty_database)
    other = create_app(other_settings)
    try:
        # Companies come first: an import finds them, it never creates them.
        async with other.state.sessionmaker() as session:
            session.add(Company(name="Zorg  Noord"))
            await session.commit()
        summary = await run_import(
            other.state.sessionmaker, other_settings, Actor.cli("roundtrip"), io.BytesIO(exported), ImportOptions()
        )
        assert (summary.created, summary.errors) == (9, 0), summary
        again = b"".join([chunk async for chunk in csv_chunks(export_pages(other.state.engine))])
    finally:
        await other.state.engine.dispose()
    assert again.decode() == exported.decode()
