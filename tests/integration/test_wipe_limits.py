"""Upload limits of wipe reports, with small limits configured: per file, per request, files per request."""

from __future__ import annotations

import pytest

from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, count
from tests.integration.wipe_helpers import LAPTOP_SERIAL, fixture, import_reports, manual, media, part, retired, upload

REPORT_LIMIT = 4096  # the Blancco fixture (about 3 KB) fits, twice its size does not
UPLOAD_LIMIT = 16 * 1024


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(
        database.url,
        wipe_report_max_bytes=REPORT_LIMIT,
        wipe_upload_max_bytes=UPLOAD_LIMIT,
        wipe_upload_max_files=3,
        max_body_bytes=2048,
    )


async def test_oversized_files_requests_and_batches_are_refused_and_write_nothing(api: Api) -> None:
    device = await retired(api, 1, serial=LAPTOP_SERIAL)
    report = fixture("blancco_laptop_ssd_purge.xml")
    padded = report.replace(b"</root>", b"<!--" + b" " * REPORT_LIMIT + b"--></root>")
    too_big = await upload(api, "helpdesk", device["id"], part("big.xml", padded))
    assert too_big.status_code == 422 and "larger than the limit of 4,096 bytes" in too_big.json()["detail"]

    body = await import_reports(api, "helpdesk", *[part("r.xml", report + b" " * 5000)] * 3)
    assert body.status_code == 413 and body.headers["content-type"].startswith("application/problem+json")

    batch = await import_reports(api, "helpdesk", *[part("blancco_laptop_ssd_purge.xml")] * 4)
    assert batch.status_code == 422 and "at most 3 files" in batch.json()["detail"]

    [ssd] = await media(api, device["id"])
    json_body = manual(ssd["id"], notes="x" * 3000)
    response = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/wipe-certificates", json_body)
    assert response.status_code == 413
    assert await count(api.app, "wipe_certificates") == 0 and await count(api.app, "wipe_documents") == 0

    fits = await upload(api, "helpdesk", device["id"], part("blancco_laptop_ssd_purge.xml"))
    assert fits.status_code == 201, fits.text
