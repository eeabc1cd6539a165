"""Fleet revaluation on PostgreSQL for 100k and 1M devices (issue 5 target: 1M in <= 10 s).

Creates a scratch database (``kringloop_bench_revalue``) on the server named by
``KRINGLOOP_BENCH_POSTGRES_URL``, else ``KRINGLOOP_TEST_POSTGRES_URL``, else
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; migrates it; loads N generated devices with COPY;
then times the revaluation job's set-based path (``revalue_fleet``) in one transaction, as the job runs
it, and checks a sample against the pure estimator. Drops the database at the end, also on error.

Run: ``.venv/bin/python bench/revalue.py [--sizes 100000 1000000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.scratch import create_scratch, drop_scratch, dsn, server_url  # noqa: E402
from service.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.valuation.policy import ValuationPolicy  # noqa: E402
from service.valuation.revalue import revalue_fleet, value_in_service  # noqa: E402

DB_NAME = "kringloop_bench_revalue"
CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
STATUSES = ("in_use", "in_use", "in_use", "in_stock", "in_repair", "retired")




async def load_devices(url: str, n: int) -> None:
    """COPYs n devices (ids 1..n) over six models, replacing any loaded before."""
    rng = random.Random(n)
    conn = await asyncpg.connect(dsn(url, DB_NAME))
    try:
        await conn.execute("TRUNCATE devices, device_models, fleet_values RESTART IDENTITY CASCADE")
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "device_models",
            records=[(i + 1, "Bench", f"Model {c}", c, 1, "ssd", 1, now, now) for i, c in enumerate(CATEGORIES)],
            columns=[
                "id",
                "manufacturer",
                "name",
                "category",
                "storage_media_count",
                "storage_media_type",
                "version",
                "created_at",
                "updated_at",
            ],
        )
        today = date.today()
        columns = [
            "id",
            "asset_tag",
            "manufacturer",
            "model_id",
            "purchase_date",
            "purchase_price_cents",
            "supplier",
            "order_ref",
            "location",
            "condition_grade",
            "notes",
            "status",
            "status_changed_at",
            "version",
            "created_at",
            "updated_at",
        ]
        batch = []
        for i in range(1, n + 1):
            batch.append(
                (
                    i,
                    f"B-{i:07d}",
                    "Bench",
                    rng.randint(1, 6),
                    today - timedelta(days=rng.randint(0, 3000)),
                    rng.randint(5000, 300000),
                    "",
                    "",
                    "",
                    rng.choice("ABCD"),
                    "",
                    rng.choice(STATUSES),
                    now,
                    1,
                    now,
                    now,
                )
            )
            if len(batch) == 100_000:
                await conn.copy_records_to_table("devices", records=batch, columns=columns)
                batch = []
        if batch:
            await conn.copy_records_to_table("devices", records=batch, columns=columns)
        await conn.execute("ANALYZE devices")
    finally:
        await conn.close()


async def time_revaluation(url: str) -> tuple[float, dict[str, int]]:
    settings = Settings(database_url=url, demo_mode=True, scheduler_enabled=False)
    engine = make_engine(settings)
    try:
        started = time.perf_counter()
        async with session_scope(make_sessionmaker(engine)) as session:
            counts = await revalue_fleet(session, ValuationPolicy(), 1, date.today())
        return time.perf_counter() - started, counts
    finally:
        await engine.dispose()


async def check_sample(url: str) -> int:
    conn = await asyncpg.connect(dsn(url, DB_NAME))
    try:
        rows = await conn.fetch(
            "SELECT d.purchase_price_cents, d.purchase_date, d.condition_grade, m.category, f.value_cents "
            "FROM fleet_values f JOIN devices d ON d.id = f.device_id JOIN device_models m ON m.id = d.model_id "
            "ORDER BY random() LIMIT 1000"
        )
    finally:
        await conn.close()
    policy, today = ValuationPolicy(), date.today()
    return sum(1 for r in rows if value_in_service(r[0], r[1], r[3], r[2], policy, today) != r[4])


async def main(sizes: list[int]) -> None:
    url = server_url()
    bench_url = await create_scratch(url, DB_NAME)
    try:
        await asyncio.to_thread(upgrade, bench_url)
        conn = await asyncpg.connect(dsn(url, DB_NAME))
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {version}")
        print(f"{'devices':>10} {'in service':>11} {'load (COPY)':>12} {'revalue':>9} {'sample mismatches':>18}")
        for n in sizes:
            t0 = time.perf_counter()
            await load_devices(url, n)
            load_s = time.perf_counter() - t0
            seconds, counts = await time_revaluation(bench_url)
            mismatches = await check_sample(url)
            print(f"{n:>10,} {counts['devices']:>11,} {load_s:>11.1f}s {seconds:>8.2f}s {mismatches:>18}")
        print("target: 1,000,000 devices revalued in <= 10 s")
    finally:
        await drop_scratch(url, DB_NAME)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    asyncio.run(main(parser.parse_args().sizes))
