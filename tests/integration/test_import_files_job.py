"""The import-files job: old upload-page reports and leftovers go, recent ones and the runs' counts stay."""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.db import utcnow
from service.imports.jobs import remove_old_files
from service.imports.models import ImportRun
from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, ui_login
from tests.integration.import_helpers import csv_text
from tests.integration.test_imports_web import wait_finished

DAY = 24 * 3600
GOOD_AND_BAD = csv_text("KL-1,SN1,Dell,Latitude 5440,laptop,2024-03-01,1249.00", "KL-2,SN2,Dell,,laptop,,")


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return make_settings(database.url, import_dir=tmp_path / "imports", import_report_days=30)


def _age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def test_only_import_files_past_the_age_are_removed(tmp_path: Path) -> None:
    old_report, new_report = tmp_path / "a.report.csv", tmp_path / "b.report.csv"
    leftovers = [tmp_path / "c.upload.csv", tmp_path / "c.report.partial"]
    stranger = tmp_path / "notes.csv"
    for path in (old_report, new_report, *leftovers, stranger):
        path.write_text("row,outcome\n")
    for path in (old_report, *leftovers, stranger):
        _age(path, 31)
    _age(new_report, 29)
    counts = remove_old_files(tmp_path, 30 * DAY)
    assert counts == {"removed": 3, "bytes_freed": 3 * len("row,outcome\n"), "kept": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.report.csv", "notes.csv"]
    assert remove_old_files(tmp_path / "missing", DAY) == {"removed": 0, "bytes_freed": 0, "kept": 0}


async def test_the_job_removes_an_old_report_and_the_run_page_says_so(api: Api, settings: Settings) -> None:
    token = await ui_login(api, "helpdesk")
    upload = await api.client.post(
        "/imports/devices",
        data={"_csrf_token": token, "format": "kringloop"},
        files={"file": ("fleet.csv", GOOD_AND_BAD, "text/csv")},
    )
    run_url = upload.headers["location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    await wait_finished(api, run_id)
    (report,) = settings.imports_path.glob("*.report.csv")
    page = await api.client.get(run_url)
    assert 'id="refused-rows"' in page.text and "report-removed" not in page.text

    ran = await api.post("admin", "/api/v1/jobs/import-files/run")
    assert ran.status_code == 200 and ran.json()["counts"]["removed"] == 0  # a fresh report stays
    assert report.exists()

    _age(report, 31)
    ran = await api.post("admin", "/api/v1/jobs/import-files/run")
    assert ran.json()["outcome"] == "succeeded" and ran.json()["counts"]["removed"] == 1
    assert not report.exists()
    # The run itself finished just now, so this server simply lacks the file (another instance's directory?).
    page = re.sub(r"\s+", " ", (await api.client.get(run_url)).text)
    assert 'id="report-missing"' in page and 'id="report-removed"' not in page
    assert (await api.client.get(f"{run_url}/report.csv")).status_code == 404
    async with api.app.state.engine.begin() as conn:  # as the job sees it a month on
        await conn.execute(
            sa.update(ImportRun).values(finished_at=utcnow() - timedelta(days=31)).where(ImportRun.id == run_id)
        )
    page = re.sub(r"\s+", " ", (await api.client.get(run_url)).text)
    assert 'id="report-removed"' in page and "removed 30 days after the import" in page
    assert 'id="count-created">1<' in page and 'id="refused-rows"' not in page
    download = await api.client.get(f"{run_url}/report.csv")
    assert download.status_code == 410 and "was removed 30 days after" in download.text
