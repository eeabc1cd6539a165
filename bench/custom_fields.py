"""Filtering 1M devices on one custom field through the device list API, on PostgreSQL (issue 14 target: p50 page
latency <= 50 ms, equality and range).

Creates a scratch database (``kringloop_bench_fields``) on the server named by ``KRINGLOOP_BENCH_POSTGRES_URL``,
else ``KRINGLOOP_TEST_POSTGRES_URL``, else ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; migrates it;
COPYs N devices with a value each for a choice field (four layouts, one of them rare) and a number field (RAM,
4-64 GB); then times ``GET /api/v1/devices?cf...`` pages through the whole app in this process (ASGI, no socket:
the figure is the app and the database, not the network): the first page and a page deep in the keyset, for an
equality on a common value, an equality on a rare one, and a range. Drops the database at the end, also on error.

Run: ``.venv/bin/python bench/custom_fields.py [--devices 1000000 --requests 40]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.scratch import admin, dsn, server_url  # noqa: E402
from service.app import create_app  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.settings import Settings  # noqa: E402

DB_NAME = "kringloop_bench_fields"
TARGET_MS = 50.0
LAYOUTS = ("US intl", "NL", "DE", "FR")
LAYOUT_WEIGHTS = (60, 30, 9.9, 0.1)  # FR: about one device in a thousand
BATCH = 100_000


async def load(url: str, n: int) -> None:
    rng = random.Random(14)
    conn = await asyncpg.connect(dsn(url, DB_NAME))
    try:
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO device_models (id, manufacturer, name, category, storage_media_count, storage_media_type, "
            "version, created_at, updated_at) VALUES (1, 'Bench', 'Laptop', 'laptop', 1, 'ssd', 1, $1, $1)",
            now,
        )
        await conn.execute(
            "INSERT INTO custom_fields (id, key, name, type, category, required, \"unique\", help_text, choices, "
            "version, created_at, updated_at) VALUES "
            "(1, 'keyboard_layout', 'Keyboard layout', 'choice', NULL, false, false, '', $1::json, 1, $2, $2), "
            "(2, 'ram_gb', 'RAM GB', 'number', NULL, false, false, '', '[]'::json, 1, $2, $2)",
            '["US intl", "NL", "DE", "FR"]',
            now,
        )
        await conn.execute(
            "INSERT INTO users (username, full_name, role, password_hash, active, session_epoch, version, created_at, "
            "updated_at) VALUES ('bench', 'Bench', 'helpdesk', 'x', true, 1, 1, $1, $1)",
            now,
        )
        today = date.today()
        device_columns = ["id", "asset_tag", "manufacturer", "model_id", "purchase_date", "purchase_price_cents",
                          "supplier", "order_ref", "location", "condition_grade", "notes", "status",
                          "status_changed_at", "version", "created_at", "updated_at"]  # fmt: skip
        value_columns = ["device_id", "field_id", "text_value", "text_folded", "number_value"]
        for start in range(1, n + 1, BATCH):
            ids = range(start, min(start + BATCH, n + 1))
            devices = [
                (i, f"B-{i:07d}", "Bench", 1, today - timedelta(days=rng.randint(0, 2000)),
                 rng.randint(50_000, 300_000), "", "", "", "A", "", "in_use", now, 1, now, now)
                for i in ids
            ]  # fmt: skip
            await conn.copy_records_to_table("devices", records=devices, columns=device_columns)
            values = []
            for i in ids:
                layout = rng.choices(LAYOUTS, LAYOUT_WEIGHTS)[0]
                values.append((i, 1, layout, layout.lower(), None))
                values.append((i, 2, None, None, rng.choice((4, 8, 8, 16, 16, 16, 32, 32, 64)) * 10_000))
            await conn.copy_records_to_table("device_field_values", records=values, columns=value_columns)
        await conn.execute("SELECT setval(pg_get_serial_sequence('devices', 'id'), $1)", n)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(url: str, requests: int, n: int) -> list[tuple[str, float, float, int]]:
    settings = Settings(database_url=url, demo_mode=True, scheduler_enabled=False, log_level="WARNING")
    app = create_app(settings)
    token = app.state.api_tokens.issue(1, 1)
    headers = {"Authorization": f"Bearer {token}"}
    from service.pagination import encode_cursor

    deep = encode_cursor(int(n * 0.9))
    cases = [
        ("equality, common value (NL, ~30%)", {"cf.keyboard_layout": "nl"}),
        ("equality, common value, deep page", {"cf.keyboard_layout": "nl", "cursor": deep}),
        ("equality, rare value (FR, ~0.1%)", {"cf.keyboard_layout": "FR"}),
        ("range (16-32 GB, ~55%)", {"cf.ram_gb.gte": "16", "cf.ram_gb.lte": "32"}),
        ("range, deep page", {"cf.ram_gb.gte": "16", "cf.ram_gb.lte": "32", "cursor": deep}),
        ("range, narrow (> 48 GB, ~11%)", {"cf.ram_gb.gte": "48"}),
        ("no filter (reference)", {}),
    ]
    results = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for label, params in cases:
            first = await client.get("/api/v1/devices", params={**params, "limit": "50"}, headers=headers)
            assert first.status_code == 200, first.text
            found = len(first.json()["items"])
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.get("/api/v1/devices", params={**params, "limit": "50"}, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            times.sort()
            results.append((label, statistics.median(times), times[int(len(times) * 0.95) - 1], found))
    await app.state.engine.dispose()
    return results


async def main(devices: int, requests: int, keep: bool, reuse: bool) -> None:
    url = server_url()
    bench_url = make_url(url).set(database=DB_NAME).render_as_string(hide_password=False)
    if not reuse:
        await admin(url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin(url, f'CREATE DATABASE "{DB_NAME}"')
    try:
        await asyncio.to_thread(upgrade, bench_url)
        conn = await asyncpg.connect(dsn(url, DB_NAME))
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
              f"PostgreSQL {version}")  # fmt: skip
        if reuse:
            print(f"reusing the {devices:,} devices kept by an earlier --keep run")
        else:
            started = time.perf_counter()
            await load(url, devices)
            loaded = time.perf_counter() - started
            print(f"{devices:,} devices with 2 custom field values each loaded (COPY) in {loaded:.1f} s")
        print(f"{'page of 50 (GET /api/v1/devices)':<40} {'p50':>8} {'p95':>8} {'rows':>5}")
        worst = 0.0
        for label, p50, p95, found in await measure(bench_url, requests, devices):
            print(f"{label:<40} {p50:>6.1f}ms {p95:>6.1f}ms {found:>5}")
            if label != "no filter (reference)":
                worst = max(worst, p50)
        verdict = "met" if worst <= TARGET_MS else "NOT met"
        print(f"target: p50 <= {TARGET_MS:.0f} ms for every filtered page: {verdict} (worst p50 {worst:.1f} ms)")
    finally:
        if not keep:
            await admin(url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (to EXPLAIN its queries)")
    parser.add_argument("--reuse", action="store_true", help="measure the database an earlier --keep run left")
    args = parser.parse_args()
    asyncio.run(main(args.devices, args.requests, args.keep or args.reuse, args.reuse))
