"""Exporting devices as CSV in the import format: the API's ?format=csv and ``kringloop export devices``."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from service.devices import repository
from service.devices.models import Device
from service.imports.export import EXPORT_COLUMNS
from tests.conftest import TEST_SECRET, Database
from tests.integration.conftest import Api, seed_model
from tests.integration.import_helpers import seed_fleet

ROOT = Path(__file__).resolve().parents[2]


def parse(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff"), "the export starts with a byte order mark so spreadsheets read it as UTF-8"
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def export(api: Api, who: str = "auditor", **params: Any) -> Any:
    return await api.get(who, "/api/v1/devices", params={"format": "csv", **params})


async def test_csv_has_the_import_columns_and_every_device_in_its_current_state(api: Api) -> None:
    fleet = await seed_fleet(api)
    response = await export(api)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="devices-\d{8}\.csv"', response.headers["content-disposition"])
    assert datetime.now().strftime("%Y") in response.headers["content-disposition"]
    rows = parse(response.content)
    assert [r["status"] for r in rows] == ["in_use", "in_stock", "in_stock", "in_repair", "retired", "lost"]
    assert rows[0] == {
        "asset_tag": "KL-1",
        "serial_number": "SN-1",
        "manufacturer": "Dell",
        "model": "Latitude 5440",
        "category": "laptop",
        "purchase_date": "2024-03-01",
        "purchase_price": "1249.50",
        "supplier": "Bechtle; Utrecht",
        "order_ref": "PO-77",
        "warranty_end": "2027-03-01",
        "location": 'Utrecht, "De Kroon" 3rd floor',
        "condition_grade": "B",
        "notes": 'Dock "USB-C"\nkeyboard: US-International, ß and é',
        "status": "in_use",
        "holder_email": fleet["sanne"]["email"],
        "holder_name": "Sanne de Jong",
        "company": "Default company",
        "cost_centre": "",
    }
    # Text a spreadsheet would run as a formula is marked as text; values Kringloop formats itself are not.
    stock = rows[1]
    assert (stock["asset_tag"], stock["serial_number"], stock["location"], stock["notes"]) == (
        '\'=HYPERLINK("http://x")',
        "'-SN-2",
        "'@desk",
        "''quoted already",
    )
    assert (stock["purchase_price"], stock["purchase_date"], stock["warranty_end"], stock["holder_email"]) == (
        "0.99",
        "2022-12-31",
        "",
        "",
    )
    assert (rows[2]["asset_tag"], rows[2]["serial_number"], rows[2]["purchase_price"]) == ("KL-TAG-ONLY", "", "519.00")
    # A device in repair keeps its holder; a retired one has none and may have no asset tag.
    assert (rows[3]["holder_name"], rows[3]["holder_email"]) == ("Joost Müller", fleet["joost"]["email"])
    assert (rows[4]["asset_tag"], rows[4]["serial_number"], rows[4]["holder_email"]) == ("", "SN-4", "")
    assert rows[4]["model"] == "Fairphone 5" and rows[4]["category"] == "phone"


async def test_the_list_filters_apply_to_the_csv(api: Api) -> None:
    fleet = await seed_fleet(api)

    async def tags(**params: Any) -> list[str]:
        response = await export(api, **params)
        assert response.status_code == 200, response.text
        return [r["serial_number"] for r in parse(response.content)]

    assert await tags(status="in_use") == ["SN-1"]
    assert await tags(status=["in_repair", "retired"]) == ["SN-3", "SN-4"]
    assert await tags(holder_id=fleet["joost"]["id"]) == ["SN-3"]
    assert await tags(q="fairphone") == ["'-SN-2", "", "SN-4", "SN-5"]
    assert await tags(q="sanne") == ["SN-1"]
    assert await tags(status="lost") == ["SN-5"]
    assert await tags(status="disposed") == []
    unknown = await export(api, status="broken")
    assert unknown.status_code == 422 and unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["errors"][0]["field"] == "status"
    bad_format = await api.get("auditor", "/api/v1/devices", params={"format": "xlsx"})
    assert bad_format.status_code == 422
    # The JSON list is unchanged by the new parameter.
    page = (await api.get("auditor", "/api/v1/devices", params={"format": "json", "limit": 2})).json()
    assert len(page["items"]) == 2 and page["next_cursor"]


async def test_only_registry_readers_may_export(api: Api) -> None:
    await seed_fleet(api)
    for who in ("admin", "helpdesk", "finance", "auditor"):
        assert (await export(api, who)).status_code == 200, who
    refused = await export(api, "charity")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    anonymous = await api.client.get("/api/v1/devices", params={"format": "csv"})
    assert anonymous.status_code == 401


async def bulk_devices(api: Api, n: int) -> None:
    model = await seed_model(api)
    now = datetime.now(UTC)
    rows = [
        {
            "asset_tag": f"BULK-{i:05d}",
            "serial_number": f"S{i:05d}",
            "manufacturer": "Dell",
            "model_id": model["id"],
            "purchase_date": date(2024, 1, 1),
            "purchase_price_cents": 10_000 + i,
            "supplier": "",
            "order_ref": "",
            "location": "",
            "condition_grade": "A",
            "notes": "",
            "status": "in_stock",
            "status_changed_at": now,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    async with api.app.state.engine.begin() as conn:
        await conn.execute(sa.insert(Device.__table__), rows)  # type: ignore[attr-defined]


async def asgi_body_chunks(api: Api, path: str, query: str, who: str) -> list[bytes]:
    """The response body as the ASGI messages the app sent (httpx's test transport joins them into one)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in api.headers(who, host="testserver").items()],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
    }
    requested, finished = False, asyncio.Event()
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # like a server: the client is there until the response is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            finished.set()

    await asyncio.wait_for(api.app(scope, receive, send), 60)  # type: ignore[arg-type]
    assert messages[0]["type"] == "http.response.start" and messages[0]["status"] == 200
    return [m["body"] for m in messages[1:] if m.get("body")]


async def test_more_devices_than_one_page_stream_in_page_sized_chunks(api: Api) -> None:
    n = repository.EXPORT_PAGE_SIZE * 2 + 345
    await bulk_devices(api, n)
    pages = [len(p) async for p in repository.export_pages(api.app.state.engine)]
    assert pages == [1000, 1000, 345]
    chunks = await asgi_body_chunks(api, "/api/v1/devices", "format=csv", "helpdesk")
    assert len(chunks) == 1 + len(pages), "the header, then one body message per page"
    rows = parse(b"".join(chunks))
    assert [r["asset_tag"] for r in rows] == [f"BULK-{i:05d}" for i in range(n)]
    assert rows[-1]["purchase_price"] == f"{(10_000 + n - 1) // 100}.{(10_000 + n - 1) % 100:02d}"


def run_cli(database: Database, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(KRINGLOOP_DATABASE_URL=database.url, KRINGLOOP_SECRET_KEY=TEST_SECRET, KRINGLOOP_LOG_LEVEL="WARNING",
               KRINGLOOP_LANG="en")
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, cwd=ROOT, timeout=120
    )


async def test_cli_export_writes_the_same_file_as_the_api(api: Api, database: Database, tmp_path: Path) -> None:
    await seed_fleet(api)
    from_api = (await export(api)).content
    target = tmp_path / "devices.csv"
    done = run_cli(database, "export", "devices", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == f"Exported 6 devices to {target}."
    assert target.read_bytes() == from_api

    to_stdout = run_cli(database, "export", "devices", "-", "--status", "in_use", "--status", "retired")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert [r["serial_number"] for r in parse(to_stdout.stdout)] == ["SN-1", "SN-4"]
    assert "Exported 2 devices to standard output." in to_stdout.stderr.decode()

    refused = run_cli(database, "export", "devices", str(tmp_path / "none.csv"), "--status", "broken")
    assert refused.returncode == 2 and b"--status" in refused.stderr
    assert not (tmp_path / "none.csv").exists()
