"""The PostgreSQL reset between tests (tests/conftest.py) empties only what a test wrote; what it leaves must be what
the migrations leave, or a test would see the one before it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from tests.conftest import _admin_dsn, _reset_postgres, create_pg_database, drop_pg_database, postgres_required_or_skip


async def _state(url: str) -> dict[str, Any]:
    """Every table's row count and every sequence's position."""
    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        tables = [r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        state: dict[str, Any] = {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
        for name, last_value in await conn.fetch("SELECT sequencename, last_value FROM pg_sequences"):
            state[f"sequence {name}"] = last_value
        return state
    finally:
        await conn.close()


async def _write(url: str) -> None:
    """What tests leave: rows in a table others refer to, a sequence moved by an insert that was rolled back, and a
    row of a table whose trigger refuses every DELETE (statements)."""
    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        await conn.execute(
            "INSERT INTO companies (name, legal_name, address, kvk_number, rsin, active, version, created_at, "
            "updated_at) VALUES ('Other', '', '', '', '', true, 1, now(), now())"
        )
        await conn.execute("UPDATE audit_chain_head SET seq = 7")
        tx = conn.transaction()
        await tx.start()
        await conn.execute("SELECT nextval(pg_get_serial_sequence('charities', 'id'))")
        await tx.rollback()
        # Under the replica role (no donation behind it, which the foreign key would want); its trigger still
        # refuses a DELETE outside that role.
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(
                "INSERT INTO statements (donation_id, version, number, kind, reason, issued_by, issued_at, line_count, "
                "json_document, json_sha256, csv_document, csv_sha256, pdf_document, pdf_sha256) VALUES "
                "(1, 1, 'S-1', 'original', '', 'test', now(), 0, '', '', '', '', '', '')"
            )
    finally:
        await conn.close()


@pytest.mark.postgres
def test_the_reset_leaves_what_the_migrations_leave() -> None:
    postgres_required_or_skip()
    from service.migrate import upgrade

    name = f"kringloop_reset_{uuid.uuid4().hex[:8]}"
    url = create_pg_database(name)
    try:
        upgrade(url)
        migrated = asyncio.run(_state(url))
        asyncio.run(_write(url))
        written = asyncio.run(_state(url))
        assert written["companies"] == 2 and written["statements"] == 1, written
        assert written["sequence charities_id_seq"] is not None, written
        asyncio.run(_reset_postgres(url))
        assert asyncio.run(_state(url)) == migrated
    finally:
        drop_pg_database(name)
