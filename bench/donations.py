"""Donation run over 100k pool credits on PostgreSQL (target <= 2 s) and a 10,000-line statement (target <= 3 s).

Creates a scratch database (``kringloop_bench_donations``) on the server named by ``KRINGLOOP_BENCH_POSTGRES_URL``,
else ``KRINGLOOP_TEST_POSTGRES_URL``, else ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; migrates it;
COPYs N valued devices with their accepted valuations and pool credits; then times

1. the donations job's work (``run_donations``: lock, read the unallocated credits, allocate by share, write the
   drafts and their allocation rows) in one transaction with its commit, as the job runs it;
2. a repeated run (it must find nothing left to allocate);
3. the 10,000-line statement: rendering alone (canonical JSON, CSV, PDF), and the whole approval of a donation
   of 10,000 credits (locks, debit, gathering the lines, rendering, storing, audit) with its commit.

Drops the database at the end, also on error. Run: ``.venv/bin/python bench/donations.py [--credits 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench.scratch import create_scratch, drop_scratch, dsn, scratch_url, server_url  # noqa: E402
from service.context import Actor  # noqa: E402
from service.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from service.donations import service as donations  # noqa: E402
from service.donations.run import run_donations  # noqa: E402
from service.migrate import upgrade  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.statements.render import canonical_json, csv_bytes, pdf_bytes, sha256  # noqa: E402

DB_NAME = "kringloop_bench_donations"





async def load(url: str, credits: int, charities: list[tuple[str, int, int]]) -> None:
    """Replaces everything with ``credits`` valued devices (credited oldest first) and the given charities."""
    conn = await asyncpg.connect(dsn(url, DB_NAME))
    try:
        # Loading only: no triggers (the wipe gate would want a certificate per generated device) and no key checks.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(
            "TRUNCATE statement_delivery_attempts, statement_deliveries, statements, donation_approvals, "
            "donation_allocations, donations, pool_entries, valuations, devices, device_models, charities, users, "
            "audit_records RESTART IDENTITY CASCADE"
        )
        await conn.execute(f"UPDATE audit_chain_head SET seq = 0, hash = '{'0' * 64}'")
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO device_models (manufacturer, name, category, storage_media_count, storage_media_type, "
            "version, created_at, updated_at) VALUES ('Dell', 'Latitude 5440', 'laptop', 1, 'ssd', 1, $1, $1)",
            now,
        )
        await conn.copy_records_to_table(
            "charities",
            records=[
                (name, True, share, minimum, 18_000, "801234566", "anbi", now, now)
                for name, share, minimum in charities
            ],
            columns=[
                "name",
                "active",
                "share_bp",
                "minimum_donation_cents",
                "cost_per_device_cents",
                "rsin",
                "anbi_status",
                "created_at",
                "updated_at",
            ],
        )
        await conn.execute(
            "INSERT INTO users (username, full_name, role, password_hash, active, session_epoch, version, created_at, "
            "updated_at) VALUES ('finance', 'F One', 'finance', '-', true, 1, 1, $1, $1), "
            "('finance2', 'F Two', 'finance', '-', true, 1, 1, $1, $1)",
            now,
        )
        bought = date.today() - timedelta(days=5 * 365)
        devices, valuations, entries, balance = [], [], [], 0
        for i in range(1, credits + 1):
            amount = 2_000 + (i * 7919) % 25_000
            balance += amount
            at = now - timedelta(seconds=credits - i)
            devices.append(
                (
                    i,
                    f"B-{i:07d}",
                    f"SN{i:09d}",
                    "Dell",
                    1,
                    bought,
                    129_900,
                    "",
                    "",
                    "",
                    "",
                    "B",
                    "valued",
                    now,
                    1,
                    now,
                    now,
                )
            )
            valuations.append(
                (
                    i,
                    i,
                    1,
                    "market",
                    '{"condition_grade": "B", "faults": []}',
                    "[]",
                    amount,
                    "accepted",
                    "bench",
                    now,
                    "",
                    "",
                    "bench",
                    now,
                )
            )
            entries.append((i, "credit", amount, balance, i, i, i, "laptop", "Valuation accepted", "bench", at))
        await conn.copy_records_to_table(
            "devices",
            records=devices,
            columns=[
                "id",
                "asset_tag",
                "serial_number",
                "manufacturer",
                "model_id",
                "purchase_date",
                "purchase_price_cents",
                "supplier",
                "order_ref",
                "location",
                "notes",
                "condition_grade",
                "status",
                "status_changed_at",
                "version",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "valuations",
            records=valuations,
            columns=[
                "id",
                "device_id",
                "policy_version",
                "method",
                "inputs",
                "lines",
                "estimated_cents",
                "status",
                "requested_by",
                "created_at",
                "override_reason",
                "override_by",
                "accepted_by",
                "accepted_at",
            ],
        )
        await conn.copy_records_to_table(
            "pool_entries",
            records=entries,
            columns=[
                "id",
                "kind",
                "amount_cents",
                "balance_after_cents",
                "device_id",
                "credit_device_id",
                "valuation_id",
                "category",
                "reason",
                "actor",
                "at",
            ],
        )
        for table in ("devices", "valuations", "pool_entries"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {credits})")
            await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()


async def copy_reference(url: str, rows: int) -> float:
    """How fast this machine writes such rows at all: COPY into a keyed table shaped like the allocations, but
    without their foreign keys. The floor under a run that writes one row per credit."""
    conn = await asyncpg.connect(dsn(url, DB_NAME))
    try:
        await conn.execute(
            "CREATE TABLE bench_reference (donation_id integer, pool_entry_id integer, amount_cents bigint NOT NULL, "
            "released_at timestamptz, PRIMARY KEY (donation_id, pool_entry_id))"
        )
        await conn.execute("CREATE INDEX ON bench_reference (pool_entry_id)")
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_reference",
            records=[(1, i, 100) for i in range(rows)],
            columns=["donation_id", "pool_entry_id", "amount_cents"],
        )
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bench_reference")
        return elapsed
    finally:
        await conn.close()


async def timed_run(settings: Settings) -> tuple[float, dict[str, object]]:
    engine = make_engine(settings)
    try:
        started = time.perf_counter()
        async with session_scope(make_sessionmaker(engine)) as session:
            counts = (await run_donations(session, Actor.system("donations"))).counts()
        return time.perf_counter() - started, counts
    finally:
        await engine.dispose()


async def timed_approval(settings: Settings) -> float:
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    try:
        finance = Actor("finance", user_id=1)
        async with session_scope(sessions) as session:
            await donations.submit(session, finance, 1)
        started = time.perf_counter()
        async with session_scope(sessions) as session:
            result = await donations.approve(session, Actor("finance2", user_id=2), settings, 1)
        assert result.statement is not None and result.statement.line_count > 0
        return time.perf_counter() - started
    finally:
        await engine.dispose()


def render_only(lines: int) -> tuple[float, int]:
    document = {
        "@context": "https://schema.org",
        "@type": "DonateAction",
        "identifier": "2026-00001-1",
        "statement": {
            "number": "2026-00001-1",
            "version": 1,
            "kind": "original",
            "issuedOn": "2026-11-23",
            "issuedAt": "2026-11-23T09:00:00+00:00",
            "supersedes": None,
            "reason": "",
        },
        "agent": {
            "@type": "Organization",
            "name": "Bench B.V.",
            "address": "Utrecht",
            "kvkNumber": "12345678",
            "rsin": "123456782",
        },
        "recipient": {
            "@type": "Organization",
            "name": "Stichting Bench",
            "address": "Amsterdam",
            "kvkNumber": "41234567",
            "rsin": "801234566",
            "anbiStatus": "anbi",
            "anbiCheckedOn": "2026-10-01",
        },
        "donation": {"id": 1, "status": "approved", "period": {"from": "2026-01-01", "to": "2026-09-30"}},
        "object": [
            {
                "@type": "Product",
                "line": i,
                "poolEntryId": i,
                "assetTag": f"KL-{i:06d}",
                "manufacturer": "Lenovo",
                "model": "ThinkPad T14 Gen 4",
                "category": "laptop",
                "serialNumber": f"PF{i:08d}",
                "purchaseDate": "2021-04-01",
                "ageMonths": 67,
                "grade": "B",
                "faults": ["battery"],
                "wipeCertificates": [{"id": f"WC-{i:06d}", "method": "Purge / crypto erase"}],
                "valuation": {"id": i, "method": "market", "policyVersion": 2, "value": "123.45", "overridden": False},
                "deviceValue": "123.45",
                "price": "123.45",
                "split": False,
            }
            for i in range(1, lines + 1)
        ],
        "price": "1234500.00",
        "priceCurrency": "EUR",
        "startTime": "2026-11-23T09:00:00+00:00",
        "noCounterPerformance": "No goods or services were provided in return for this donation.",
        "approvals": [
            {"step": "submitted", "by": "finance", "at": "2026-11-22T09:00:00+00:00"},
            {"step": "approved", "by": "finance2", "at": "2026-11-23T09:00:00+00:00"},
        ],
        "peopleReached": {"estimate": 6858, "costPerRefurbishedDevice": "180.00", "basis": "amount / cost"},
    }
    started = time.perf_counter()
    json_doc = canonical_json(document)
    csv_bytes(document)
    pdf = pdf_bytes(document, sha256(json_doc))
    return time.perf_counter() - started, len(pdf)


async def main(credits: int, lines: int) -> None:
    url = server_url()
    bench_url = scratch_url(url, DB_NAME)
    settings = Settings(
        database_url=bench_url, demo_mode=True, scheduler_enabled=False, donation_two_approvers_above_cents=10**15
    )
    await create_scratch(url, DB_NAME)
    try:
        await asyncio.to_thread(upgrade, bench_url)
        conn = await asyncpg.connect(dsn(url, DB_NAME))
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {version}")

        t0 = time.perf_counter()
        await load(url, credits, [("Stichting Een", 5000, 0), ("Stichting Twee", 3000, 0), ("Stichting Drie", 2000, 0)])
        print(f"loaded {credits:,} valued devices and credits with COPY in {time.perf_counter() - t0:.1f} s")
        reference = await copy_reference(url, credits)
        seconds, counts = await timed_run(settings)
        print(
            f"donation run over {credits:,} credits: {seconds:.2f} s  ({counts['donations']} drafts, "
            f"{counts['drafted']} drafted, {counts['waiting']} waiting)   target <= 2 s"
        )
        print(
            f"  reference: COPY of {credits:,} such rows without their foreign keys {reference:.2f} s "
            f"(the run takes {seconds / reference:.1f}x that; load average {os.getloadavg()[0]:.1f})"
        )
        again, counts = await timed_run(settings)
        assert counts["donations"] == 0, f"a repeated run must find nothing to allocate, it drafted {counts}"
        print(f"repeated run (nothing left to allocate): {again:.2f} s  ({counts['donations']} drafts)")

        render_s, size = render_only(lines)
        print(
            f"{lines:,}-line statement rendered (JSON + CSV + PDF): {render_s:.2f} s, PDF {size / 1024:.0f} KiB"
            "   target <= 3 s"
        )
        await load(url, lines, [("Stichting Een", 10_000, 0)])
        await timed_run(settings)
        approval_s = await timed_approval(settings)
        print(
            f"approval of a {lines:,}-credit donation (debit, statement gathered, rendered, stored): {approval_s:.2f} s"
        )
    finally:
        await drop_scratch(url, DB_NAME)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credits", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main(args.credits, args.lines))
