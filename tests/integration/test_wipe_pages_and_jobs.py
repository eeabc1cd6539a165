"""The overdue-wipes job, the dashboard's list, and the wipe pages (register, import, certificate, media forms)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import sqlalchemy as sa

from service.bootstrap import Ports, declared_jobs
from service.db import make_engine, make_sessionmaker, utcnow
from service.jobs.service import manual_slot, run_job
from tests.integration.conftest import Api, count, ui_login
from tests.integration.wipe_helpers import LAPTOP_SERIAL, media, part, record, retired, status_of


async def backdate_retirement(api: Api, device_id: int, days: int) -> None:
    async with api.app.state.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE devices SET status_changed_at = :at WHERE id = :id"),
            {"at": utcnow() - timedelta(days=days), "id": device_id},
        )


async def run_overdue(api: Api) -> dict[str, object]:
    settings = api.app.state.settings
    run = await run_job(api.app.state.sessionmaker, declared_jobs(settings)["overdue-wipes"], slot=manual_slot(),
                        triggered_by="test", ports=Ports(), settings=settings)  # fmt: skip
    assert run is not None and run.outcome == "succeeded", run and run.message
    return dict(run.counts)


async def test_overdue_wipes_are_flagged_once_listed_for_helpdesk_and_resolved(api: Api) -> None:
    overdue = await retired(api, 1, serial=LAPTOP_SERIAL)
    recent = await retired(api, 2)
    await backdate_retirement(api, overdue["id"], 15)
    await backdate_retirement(api, recent["id"], 13)
    assert (await run_overdue(api))["flagged"] == 1
    assert (await run_overdue(api))["flagged"] == 0, "a second run flags nothing twice"
    async with api.app.state.engine.connect() as conn:
        flags = (await conn.execute(sa.text("SELECT device_id FROM overdue_wipes"))).scalars().all()
        audited = await conn.execute(sa.text("SELECT count(*) FROM audit_records WHERE action = 'overdue_wipe.flag'"))
        assert flags == [overdue["id"]] and audited.scalar_one() == 1

    await ui_login(api, "helpdesk")
    dashboard = await api.client.get("/")
    section = dashboard.text.split('id="overdue-wipes"')[1]
    assert "W-1" in section and "W-2" not in section
    register = await api.client.get("/wipe-certificates")
    assert "Overdue" in register.text and "W-2" in register.text

    [ssd] = await media(api, overdue["id"])
    cert = await record(api, overdue["id"], ssd["id"])
    await api.post("helpdesk2", f"/api/v1/wipe-certificates/{cert['id']}/verify")
    assert (await run_overdue(api))["resolved"] == 1
    assert "No wipe is overdue" in (await api.client.get("/")).text
    await ui_login(api, "finance")
    assert 'id="overdue-wipes"' not in (await api.client.get("/")).text


async def test_racing_runs_of_the_overdue_job_flag_each_device_once(api: Api) -> None:
    for n in range(1, 4):
        device = await retired(api, n)
        await backdate_retirement(api, device["id"], 30)
    settings = api.app.state.settings
    job = declared_jobs(settings)["overdue-wipes"]
    engines = [make_engine(settings), make_engine(settings)]
    try:
        runs = await asyncio.gather(*[
            run_job(make_sessionmaker(e), job, slot=manual_slot(), triggered_by=f"i{i}", ports=Ports(),
                    settings=settings)
            for i, e in enumerate(engines)
        ])  # fmt: skip
    finally:
        for e in engines:
            await e.dispose()
    assert sorted(r.counts["flagged"] for r in runs if r is not None) == [0, 3]
    assert await count(api.app, "overdue_wipes") == 3


async def test_register_import_and_certificate_pages(api: Api) -> None:
    device = await retired(api, 1, serial=LAPTOP_SERIAL)
    token = await ui_login(api, "helpdesk")
    empty = await api.client.get("/wipe-certificates")
    assert empty.status_code == 200 and "No wipe certificates yet" in empty.text and "W-1" in empty.text
    page = await api.client.get("/wipe-certificates/import")
    assert page.status_code == 200 and 'name="files"' in page.text and 'for="import-files"' in page.text
    imported = await api.client.post(
        "/wipe-certificates/import", data={"_csrf_token": token, "destination": "external_reuse"},
        files=[("files", part("blancco_laptop_ssd_purge.xml")), ("files", part("nwipe_failure.json"))],
    )  # fmt: skip
    assert imported.status_code == 200 and "1 recorded, 1 refused" in imported.text
    assert "&#39;failure&#39;" in imported.text and "'failure'" not in imported.text  # the tool's words, escaped
    [cert_id] = re.findall(r'href="/wipe-certificates/(\d+)"', imported.text)
    nothing = await api.client.post("/wipe-certificates/import", data={"_csrf_token": token},
                                    files=[("files", part("nwipe_failure.json"))])  # fmt: skip
    assert nothing.status_code == 422 and "0 recorded, 1 refused" in nothing.text
    no_csrf = await api.client.post("/wipe-certificates/import", files=[("files", part("nwipe_failure.json"))])
    assert no_csrf.status_code == 403

    await ui_login(api, "helpdesk2")
    certificate = await api.client.get(f"/wipe-certificates/{cert_id}")
    assert certificate.status_code == 200 and "Blancco Drive Eraser 7.12.1" in certificate.text
    assert "SHA-256" in certificate.text and f'href="/wipe-certificates/{cert_id}/document"' in certificate.text
    document = await api.client.get(f"/wipe-certificates/{cert_id}/document")
    assert document.status_code == 200 and document.content == part("blancco_laptop_ssd_purge.xml")[1]
    assert document.headers["content-type"] == "application/xml"
    token = re.search(r'name="_csrf_token" value="([^"]+)"', certificate.text).group(1)  # type: ignore[union-attr]
    short = await api.client.post(f"/wipe-certificates/{cert_id}/reject", data={"_csrf_token": token, "reason": "no"})
    assert short.status_code == 422 and "Nothing was changed" in short.text
    rejected = await api.client.post(f"/wipe-certificates/{cert_id}/reject",
                                     data={"_csrf_token": token, "reason": "Belongs to a loan unit"})  # fmt: skip
    assert rejected.status_code == 303 and rejected.headers["location"].startswith(f"/wipe-certificates/{cert_id}?")
    shown = await api.client.get(rejected.headers["location"])
    assert "Certificate rejected" in shown.text and "Belongs to a loan unit" in shown.text
    assert await status_of(api, device["id"]) == "retired"

    await ui_login(api, "auditor")
    register = await api.client.get("/wipe-certificates?status=rejected")
    assert f'href="/wipe-certificates/{cert_id}"' in register.text and "Import wipe reports" not in register.text
    assert 'href="/wipe-certificates/register.csv?status=rejected"' in register.text
    export = await api.client.get("/wipe-certificates/register.csv?status=rejected")
    assert export.headers["content-type"].startswith("text/csv") and f"\r\n{cert_id},rejected," in export.text
    assert (await api.client.get("/wipe-certificates/import")).status_code == 403


async def test_media_forms_on_the_device_page(api: Api) -> None:
    device = await retired(api, 1, retire=False)
    token = await ui_login(api, "helpdesk")
    bad = await api.client.post(f"/devices/{device['id']}/wipes/media",
                                data={"_csrf_token": token, "media_type": "hdd", "capacity": "lots"})  # fmt: skip
    assert bad.status_code == 422 and 'id="add-medium-capacity"' in bad.text and 'aria-invalid="true"' in bad.text
    assert 'value="lots"' in bad.text, "the person's value comes back"
    added = await api.client.post(
        f"/devices/{device['id']}/wipes/media",
        data={"_csrf_token": token, "media_type": "hdd", "serial": "HD-9", "capacity": "1 TB"},
    )
    assert added.status_code == 303
    listed = await media(api, device["id"])
    assert [(m["media_type"], m["serial"], m["capacity_bytes"]) for m in listed][1] == ("hdd", "HD-9", 10**12)
    hdd = listed[1]
    page = await api.client.get(added.headers["location"])
    assert "1 TB" in page.text and "Medium added" in page.text
    unchanged = await api.client.post(
        f"/devices/{device['id']}/wipes/media/{hdd['id']}",
        data={"_csrf_token": token, "version": "1", "media_type": "hdd", "serial": "HD-9", "capacity": "1 TB"},
    )  # fmt: skip
    assert unchanged.status_code == 303 and (await media(api, device["id"]))[1]["version"] == 1
    emptied = await api.client.post(
        f"/devices/{device['id']}/wipes/media/{hdd['id']}",
        data={"_csrf_token": token, "version": "1", "media_type": "hdd", "serial": "", "capacity": ""},
    )  # the serial was a typo and the size unknown after all: emptied fields are cleared
    assert emptied.status_code == 303
    cleared = (await media(api, device["id"]))[1]
    assert (cleared["serial"], cleared["capacity_bytes"], cleared["version"]) == (None, None, 2)
    removed = await api.client.post(f"/devices/{device['id']}/wipes/media/{hdd['id']}/remove",
                                    data={"_csrf_token": token, "version": "2", "reason": "A USB stick"})  # fmt: skip
    assert removed.status_code == 303 and len(await media(api, device["id"])) == 1
    await ui_login(api, "auditor")
    page = await api.client.get(f"/devices/{device['id']}")
    assert "Storage media and wipe certificates" in page.text and "Add a storage medium" not in page.text


async def test_monitor_is_attested_through_the_page(api: Api) -> None:
    monitor = await retired(api, 1, kind="monitor")
    token = await ui_login(api, "helpdesk")
    page = await api.client.get(f"/devices/{monitor['id']}")
    assert "No storage media are listed" in page.text and 'for="attest-statement"' in page.text
    attested = await api.client.post(f"/devices/{monitor['id']}/wipes/attest",
                                     data={"_csrf_token": token, "statement": "A monitor has no storage"})  # fmt: skip
    assert attested.status_code == 303 and await status_of(api, monitor["id"]) == "wiped"
    page = await api.client.get(attested.headers["location"])
    assert "Attested" in page.text and "A monitor has no storage" in page.text
