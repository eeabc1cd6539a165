"""What every bench script needs of PostgreSQL: which server, a DSN for asyncpg, and admin statements
(creating and dropping its scratch database)."""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy.engine import make_url


def server_url() -> str:
    return (
        os.environ.get("KRINGLOOP_BENCH_POSTGRES_URL")
        or os.environ.get("KRINGLOOP_TEST_POSTGRES_URL")
        or "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )


def dsn(url: str, database: str | None = None) -> str:
    """asyncpg's plain DSN for the server of ``url``, on ``database`` if given."""
    u = make_url(url).set(drivername="postgresql")
    if database:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def scratch_url(url: str, name: str) -> str:
    """``url`` pointed at the scratch database ``name`` (same server, same driver)."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def create_scratch(url: str, name: str) -> str:
    """Creates the scratch database ``name`` afresh (a leftover of an interrupted run is dropped); returns its URL."""
    await drop_scratch(url, name)
    await admin(url, f'CREATE DATABASE "{name}"')
    return scratch_url(url, name)


async def drop_scratch(url: str, name: str) -> None:
    await admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
