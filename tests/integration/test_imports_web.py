"""Device imports over HTTP (the API and the upload page) and from the command line, on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.settings import Settings
from tests.conftest import TEST_SECRET, Database, make_settings
from tests.integration.conftest import Api, seed_device, seed_model, ui_login
from tests.integration.import_helpers import HEADER, csv_text, rows

LAPTOP = "Dell,Latitude 5440,laptop,2024-03-01"
GOOD_AND_BAD = csv_text(f"KL-1,SN1,{LAPTOP},1249.00", f'KL-2,SN2,{LAPTOP},"1,234"', f"KL-3,SN3,{LAPTOP},99")
URL = "/api/v1/imports/devices"


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return make_settings(database.url, import_dir=tmp_path / "imports", import_max_bytes=256 * 1024)


async def test_the_api_imports_a_csv_body_and_reports_every_row(api: Api) -> None:
    response = await api.post("helpdesk", URL, content=GOOD_AND_BAD, headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {
        "rows": 3, "created": 2, "updated": 0, "unchanged": 0, "errors": 1, "unknown_categories": [],
        "unknown_statuses": [], "ignored_columns": [], "readings": ["Read as UTF-8."], "dry_run": False,
        "exit_code": 1,
    }  # fmt: skip
    assert [(r["row"], r["outcome"]) for r in body["rows"]] == [(2, "created"), (3, "error"), (4, "created")]
    refused = body["rows"][1]
    assert refused["asset_tag"] == "KL-2" and refused["errors"][0]["field"] == "purchase_price"
    assert "reads two ways" in refused["errors"][0]["message"]
    devices = await api.get("helpdesk", "/api/v1/devices", params={"q": "KL-"})
    assert sorted(d["asset_tag"] for d in devices.json()["items"]) == ["KL-1", "KL-3"]
    # The same file again: an upsert, so nothing changes (no Idempotency-Key needed).
    again = await api.post("admin", URL, content=GOOD_AND_BAD, headers={"Content-Type": "text/csv"})
    assert again.json()["summary"]["unchanged"] == 2


async def test_the_api_takes_multipart_and_its_options(api: Api) -> None:
    data = csv_text('KL-1,SN1,Dell,Latitude 5440,laptop,03/04/2024,"1.234"', header=HEADER).replace(b",", b";")
    files = {"file": ("devices.csv", data, "text/csv")}
    dry = await api.post("admin", URL, files=files, params={"dry_run": "true", "decimal_mark": "comma",
                                                             "date_order": "dmy"})  # fmt: skip
    assert dry.status_code == 200, dry.text
    assert dry.json()["summary"]["created"] == 1 and dry.json()["summary"]["dry_run"] is True
    assert await rows(api, "SELECT id FROM devices") == []
    done = await api.post("admin", URL, files=files, params={"decimal_mark": "comma", "date_order": "dmy"})
    assert done.json()["summary"]["created"] == 1
    found = (await rows(api, "SELECT purchase_date, purchase_price_cents FROM devices"))[0]
    assert (str(found["purchase_date"]), found["purchase_price_cents"]) == ("2024-04-03", 123400)
    snipe = "Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date,Purchase Cost,Status\n" \
            "KL-2,SN2,Dell,Latitude 5440,Laptops,2024-03-01,10,Archived\n"  # fmt: skip
    archived = await api.post("admin", URL, content=snipe.encode(), params={"format": "snipeit"},
                              headers={"Content-Type": "text/csv"})  # fmt: skip
    assert archived.json()["summary"]["created"] == 1
    assert (await rows(api, "SELECT status FROM devices WHERE asset_tag = 'KL-2'"))[0]["status"] == "retired"


async def test_the_api_refuses_unusable_files_wrong_types_and_roles(api: Api) -> None:
    unusable = await api.post("helpdesk", URL, content=b"name,colour\nx,y\n", headers={"Content-Type": "text/csv"})
    assert unusable.status_code == 422
    assert unusable.headers["content-type"].startswith("application/problem+json")
    assert unusable.json()["errors"][0]["field"] == "file" and "asset tag" in unusable.json()["detail"]
    empty = await api.post("helpdesk", URL, content=b"", headers={"Content-Type": "text/csv"})
    assert empty.status_code == 422
    assert (await api.post("helpdesk", URL, json={"rows": []})).status_code == 415
    bad_option = await api.post("helpdesk", URL, content=GOOD_AND_BAD, params={"format": "excel"},
                                headers={"Content-Type": "text/csv"})  # fmt: skip
    assert bad_option.status_code == 422
    no_file = await api.post("helpdesk", URL, files={"other": ("x.csv", b"a", "text/csv")})
    assert no_file.status_code == 422 and no_file.json()["errors"][0]["field"] == "file"
    for who in ("finance", "charity", "auditor"):
        denied = await api.post(who, URL, content=GOOD_AND_BAD, headers={"Content-Type": "text/csv"})
        assert denied.status_code == 403, who
    too_big = await api.post("helpdesk", URL, content=b"asset_tag\n" + b"KL-1\n" * 60_000,
                             headers={"Content-Type": "text/csv"})  # fmt: skip
    assert too_big.status_code == 413
    assert await rows(api, "SELECT id FROM devices") == []


async def wait_finished(api: Api, run_id: int) -> None:
    for _ in range(100):
        found = await rows(api, "SELECT status FROM import_runs WHERE id = :i", i=run_id)
        if found[0]["status"] != "running":
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def test_the_upload_page_runs_the_import_and_shows_the_report(api: Api, settings: Settings) -> None:
    model = await seed_model(api)
    await seed_device(api, model["id"], asset_tag="KL-9", serial_number="SN9")
    token = await ui_login(api, "helpdesk")
    page = await api.client.get("/imports/devices")
    assert page.status_code == 200 and 'name="file"' in page.text and 'href="/imports/devices"' in page.text
    refused = await api.client.post("/imports/devices", data={"_csrf_token": token, "format": "kringloop"})
    assert refused.status_code == 422 and "Choose a CSV file" in refused.text
    upload = await api.client.post(
        "/imports/devices",
        data={"_csrf_token": token, "format": "kringloop", "date_order": "", "decimal_mark": ""},
        files={"file": ("fleet.csv", GOOD_AND_BAD, "text/csv")},
    )
    assert upload.status_code == 303, upload.text
    run_url = upload.headers["location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    await wait_finished(api, run_id)
    result = await api.client.get(run_url)
    assert result.status_code == 200
    text = re.sub(r"\s+", " ", result.text)
    assert 'id="count-created">2<' in text and 'id="count-errors">1<' in text
    assert "reads two ways" in text and "KL-2" in text
    assert '<ul class="muted" aria-label="How the file was read"><li>Read as UTF-8.</li></ul>' in text
    progress = await api.client.get(f"{run_url}/progress")
    assert progress.headers.get("hx-refresh") == "true"
    report = await api.client.get(f"{run_url}/report.csv")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["row"], r["outcome"]) for r in lines] == [("2", "created"), ("3", "error"), ("4", "created")]
    assert not list(settings.imports_path.glob("*.upload.csv"))  # the upload is gone once imported
    listed = await api.client.get("/imports/devices")
    assert "fleet.csv" in listed.text and "1 refused" in listed.text
    devices = await api.client.get("/devices", params={"q": "KL-3"})
    assert "KL-3" in devices.text


async def test_the_upload_page_reports_an_unusable_file_and_is_for_helpdesk_and_admin(api: Api) -> None:
    token = await ui_login(api, "admin")
    upload = await api.client.post(
        "/imports/devices", data={"_csrf_token": token, "format": "snipeit", "dry_run": "1"},
        files={"file": ("notes.csv", b"just,some\nwords,here\n", "text/csv")},
    )  # fmt: skip
    assert upload.status_code == 303
    run_id = int(upload.headers["location"].rsplit("/", 1)[1])
    await wait_finished(api, run_id)
    page = await api.client.get(upload.headers["location"])
    assert "cannot be imported" in page.text and "neither an asset tag" in page.text
    await api.client.post("/logout", data={"_csrf_token": token})
    await ui_login(api, "finance")
    assert (await api.client.get("/imports/devices")).status_code == 403
    assert (await api.client.get(upload.headers["location"])).status_code == 403


def test_the_cli_imports_with_exit_codes_and_a_report(database: Database, tmp_path: Path) -> None:
    env = {"KRINGLOOP_DATABASE_URL": database.url, "KRINGLOOP_SECRET_KEY": TEST_SECRET,
           "KRINGLOOP_LOG_LEVEL": "WARNING", "KRINGLOOP_DEMO_MODE": "false"}  # fmt: skip
    runner = CliRunner()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_text(f"KL-1,SN1,{LAPTOP},1249.00"))
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(GOOD_AND_BAD)
    report = tmp_path / "report.csv"

    ok = runner.invoke(main, ["import", "devices", str(good), "--as", "ops"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "1 created" in ok.stdout
    dry = runner.invoke(main, ["import", "devices", str(mixed), "--dry-run", "--report", str(report)], env=env)
    assert dry.exit_code == 1, dry.output
    assert "Dry run: nothing was written." in dry.stdout and "row 3: purchase_price" in dry.stderr
    some = runner.invoke(main, ["import", "devices", str(mixed), "--report", str(report)], env=env)
    assert some.exit_code == 1 and "1 created, 0 updated, 1 unchanged, 1 refused" in some.stdout
    lines = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [r["outcome"] for r in lines] == ["unchanged", "error", "created"]
    settled = runner.invoke(main, ["import", "devices", str(mixed), "--decimal-point"], env=env)
    assert settled.exit_code == 0 and "1 created" in settled.stdout
    unusable = tmp_path / "unusable.csv"
    unusable.write_bytes(b"\xff\xfe\x00garbage")
    refused = runner.invoke(main, ["import", "devices", str(unusable)], env=env)
    assert refused.exit_code == 2 and "Nothing was imported" in refused.stderr
    missing = runner.invoke(main, ["import", "devices", str(tmp_path / "nope.csv")], env=env)
    assert missing.exit_code == 2
    unmigrated = {**env, "KRINGLOOP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}
    failed = runner.invoke(main, ["import", "devices", str(good)], env=unmigrated)
    assert failed.exit_code == 3 and "unexpected error" in failed.stderr  # never 1: that means rows refused
    verified = runner.invoke(main, ["audit", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert "cli:ops" in _actors(database)


def _actors(database: Database) -> set[str]:
    async def read() -> set[str]:
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(database.url)
        try:
            async with engine.connect() as conn:
                return set((await conn.execute(sa.text("SELECT DISTINCT actor FROM audit_records"))).scalars())
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def test_a_running_import_shows_its_progress_and_a_silent_one_is_interrupted(api: Api) -> None:
    from datetime import timedelta

    from service.db import session_scope, utcnow
    from service.imports.models import ImportRun

    async with session_scope(api.app.state.sessionmaker) as session:
        running = ImportRun(key="a" * 32, filename="big.csv", size_bytes=1000, bytes_read=250, rows=99,
                            started_by="helpdesk")  # fmt: skip
        silent = ImportRun(key="b" * 32, filename="old.csv", size_bytes=1000, bytes_read=10, rows=5,
                           started_by="helpdesk", heartbeat_at=utcnow() - timedelta(minutes=10))  # fmt: skip
        session.add_all([running, silent])
        await session.flush()
        ids = running.id, silent.id
    await ui_login(api, "helpdesk")
    page = await api.client.get(f"/imports/{ids[0]}")
    assert f'hx-get="/imports/{ids[0]}/progress"' in page.text and 'hx-trigger="every 1s"' in page.text
    fragment = await api.client.get(f"/imports/{ids[0]}/progress")
    assert "hx-refresh" not in fragment.headers
    assert 'value="25"' in fragment.text and "99 rows so far" in fragment.text
    stale = await api.client.get(f"/imports/{ids[1]}")
    assert "did not finish" in stale.text and "first 5 rows were imported" in stale.text
    assert (await api.client.get("/imports/999999")).status_code == 404
