"""The full impact report over 1M devices on PostgreSQL (issue 12 targets: report <= 5 s, its PDF <= 5 s).

Creates a scratch database (``kringloop_bench_impact``) on the server named by ``KRINGLOOP_BENCH_POSTGRES_URL``,
else ``KRINGLOOP_TEST_POSTGRES_URL``, else ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; migrates it;
COPYs N devices over 60 models and eight years of purchases, with retirements (two in three replaced by a
successor), one-for-one obligations, pool credits and debits, second-life disposals and paid donations; then
times ``build_report`` for this year and for a three-year range, and the PDF of this year's report (report and
file). Drops the database at the end, also on error.

Run: ``.venv/bin/python bench/impact.py [--devices 1000000]``.
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
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.scratch import admin, dsn, server_url  # noqa: E402
from service.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from service.impact import render, service  # noqa: E402
from service.impact.period import Period, resolve_period  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.settings import Settings  # noqa: E402

DB_NAME = "kringloop_bench_impact"
CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
OWING = ("laptop", "phone", "tablet")
START = date(2023, 1, 1)


def _at(day: date) -> datetime:
    return datetime.combine(day, dtime(11), UTC)


async def load(url: str, n: int) -> dict[str, int]:
    rng = random.Random(n)
    conn = await asyncpg.connect(dsn(url, DB_NAME))
    now = datetime.now(UTC)
    today = date.today()
    try:
        models = []
        for i in range(60):
            category = CATEGORIES[i % 6]
            certs = '[{"scheme": "EPEAT", "level": "Gold", "expires_on": "2026-06-30"}]' if i % 3 == 0 else "[]"
            models.append(
                (
                    i + 1,
                    "Bench",
                    f"Model {i}",
                    category,
                    None if i % 7 == 0 else 1000 + i * 10,
                    1,
                    "ssd",
                    i % 2 == 0,
                    certs,
                    48 + i % 24 if i % 4 else None,
                    50 + i % 50,
                    1,
                    now,
                    now,
                )
            )
        await conn.copy_records_to_table(
            "device_models",
            records=models,
            columns=[
                "id",
                "manufacturer",
                "name",
                "category",
                "weight_grams",
                "storage_media_count",
                "storage_media_type",
                "e_waste_compensated",
                "certifications",
                "declared_lifetime_months",
                "repairability_tenths",
                "version",
                "created_at",
                "updated_at",
            ],
        )
        retired = n * 15 // 100
        replaced = retired * 2 // 3
        devices, events, obligations = [], [], []
        retire_day: dict[int, date] = {}
        for i in range(1, n + 1):
            model = rng.randint(1, 60)
            if i <= retired:
                bought = today - timedelta(days=rng.randint(500, 2900))
                day = min(today - timedelta(days=1), bought + timedelta(days=rng.randint(300, 2000)))
                retire_day[i] = day
                status, replaces = "retired", None
                events.append((i, "retire", "in_use", "retired", "bench", "Mainboard", "{}", _at(day)))
            elif i <= retired + replaced:
                old = i - retired
                bought, status, replaces = retire_day[old] + timedelta(days=rng.randint(0, 10)), "in_use", old
                model = ((model - 1) // 6) * 6 + 1 + (old % 6)
            else:
                bought = today - timedelta(days=rng.randint(0, 2900))
                status, replaces = rng.choice(("in_use", "in_use", "in_use", "in_stock", "in_repair")), None
            category = CATEGORIES[(model - 1) % 6]
            price = 0 if i % 50 == 0 else rng.randint(20000, 250000)
            devices.append(
                (
                    i,
                    f"B-{i:07d}",
                    "Bench",
                    model,
                    bought,
                    price,
                    "",
                    "",
                    "",
                    "A",
                    "",
                    status,
                    now,
                    1,
                    now,
                    now,
                    replaces,
                )
            )
            if category in OWING and bought >= START:
                done = rng.random() < 0.7
                obligations.append(
                    (
                        i,
                        category,
                        1650,
                        bought,
                        "compensated" if done else "pending",
                        f"CTL-{i}" if done else "",
                        _at(bought) if done else None,
                        now,
                    )
                )
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
            "replaces_id",
        ]
        for k in range(0, len(devices), 100_000):
            await conn.copy_records_to_table("devices", records=devices[k : k + 100_000], columns=columns)
        await conn.copy_records_to_table(
            "device_events",
            records=events,
            columns=["device_id", "move", "from_status", "to_status", "actor", "reason", "details", "at"],
        )
        await conn.copy_records_to_table(
            "compensation_obligations",
            records=obligations,
            columns=[
                "device_id",
                "category",
                "weight_grams",
                "purchase_date",
                "status",
                "partner_reference",
                "compensated_at",
                "created_at",
            ],
        )
        credits = min(100_000, retired)
        entries, balance = [], 0
        for i in range(1, credits + 1):
            amount = rng.randint(1000, 30000)
            balance += amount
            at = _at(today - timedelta(days=1100 - i * 1100 // credits))
            entries.append(("credit", amount, balance, i, i, CATEGORIES[0], "", "bench", at))
            if i % 1000 == 0:  # a donation takes half the pool
                debit = balance // 2
                balance -= debit
                entries.append(("debit", -debit, balance, None, None, "", "donation", "bench", at))
        await conn.copy_records_to_table(
            "pool_entries",
            records=entries,
            columns=[
                "kind",
                "amount_cents",
                "balance_after_cents",
                "device_id",
                "credit_device_id",
                "category",
                "reason",
                "actor",
                "at",
            ],
        )
        disposals = [
            (
                i,
                "sold_to_refurbisher" if i % 5 else "donated_in_kind",
                f"Refurbisher {i % 7}",
                "",
                None if i % 5 == 0 else 5000,
                "bench",
                _at(retire_day[i] + timedelta(days=30)),
            )
            for i in range(1, min(20_000, retired) + 1)
        ]
        await conn.copy_records_to_table(
            "dispositions",
            records=disposals,
            columns=[
                "device_id",
                "disposition",
                "counterparty",
                "reference",
                "realised_cents",
                "recorded_by",
                "recorded_at",
            ],
        )
        for c in range(3):
            await conn.execute(
                "INSERT INTO charities (name, kvk_number, rsin, anbi_status, contact_name, contact_email, address,"
                " share_bp, minimum_donation_cents, cost_per_device_cents, webhook_url, webhook_secret, active,"
                " version, created_at, updated_at) VALUES ($1, '', '', 'anbi', '', '', '', 0, 0, 18000, '', '',"
                " true, 1, now(), now())",
                f"Stichting {c}",
            )
        for d in range(40):
            at = _at(today - timedelta(days=30 * d))
            await conn.execute(
                "INSERT INTO donations (charity_id, status, amount_cents, run_key, period_from, period_to,"
                " created_by, created_at, submitted_by, approved_at, paid_by, paid_at, payment_reference,"
                " acknowledged_by, closed_by, close_reason, version, updated_at) VALUES ($1, 'paid', $2, $3, $4,"
                " $4, 'bench', $4, 'bench', $4, 'bench', $4, 'REF', '', '', '', 1, $4)",
                1 + d % 3,
                250000 + d * 1000,
                f"bench-{d}",
                at,
            )
        for table in (
            "devices",
            "device_models",
            "device_events",
            "compensation_obligations",
            "pool_entries",
            "dispositions",
            "donations",
        ):
            await conn.execute(f"ANALYZE {table}")
        return {
            "devices": n,
            "retired": retired,
            "replaced": replaced,
            "obligations": len(obligations),
            "pool_entries": len(entries),
            "dispositions": len(disposals),
        }
    finally:
        await conn.close()


async def timed_report(settings: Settings, period: Period) -> tuple[float, dict]:
    engine = make_engine(settings)
    try:
        started = time.perf_counter()
        async with session_scope(make_sessionmaker(engine)) as session:
            report = await service.build_report(session, settings, period, "category")
        return time.perf_counter() - started, report
    finally:
        await engine.dispose()


async def main(devices: int) -> None:
    url = server_url()
    bench_url = make_url(url).set(database=DB_NAME).render_as_string(hide_password=False)
    settings = Settings(database_url=bench_url, demo_mode=True, scheduler_enabled=False)
    await admin(url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    await admin(url, f'CREATE DATABASE "{DB_NAME}"')
    try:
        await asyncio.to_thread(upgrade, bench_url)
        conn = await asyncpg.connect(dsn(url, DB_NAME))
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {version}")
        t0 = time.perf_counter()
        counts = await load(url, devices)
        print(
            f"loaded {', '.join(f'{v:,} {k}' for k, v in counts.items())} with COPY in {time.perf_counter() - t0:.1f} s"
        )
        today = date.today()
        year = resolve_period(year=today.year, quarter=None, from_=None, to=None, today=today)
        await timed_report(settings, year)  # warm the caches once, as a running server would be
        seconds, report = await timed_report(settings, year)
        totals = {k: f["value"] for k, f in report["totals"].items()}
        print(f"impact report {year.label} over {devices:,} devices: {seconds:.2f} s   target <= 5 s")
        print(f"  totals: {totals}")
        three = resolve_period(
            year=None, quarter=None, from_=f"{today.year - 2}-01-01", to=f"{today.year}-12-31", today=today
        )
        seconds3, _ = await timed_report(settings, three)
        print(f"impact report {three.label}: {seconds3:.2f} s")
        started = time.perf_counter()
        _, report = await timed_report(settings, year)
        pdf = render.pdf_bytes(report)
        pdf_s = time.perf_counter() - started
        render_s = time.perf_counter()
        render.pdf_bytes(report)
        render_s = time.perf_counter() - render_s
        print(
            f"impact report PDF {year.label} (report + file, {len(pdf) / 1024:.0f} KiB): {pdf_s:.2f} s "
            f"(rendering alone {render_s:.2f} s)   target <= 5 s"
        )
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        await admin(url, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(main(args.devices))
