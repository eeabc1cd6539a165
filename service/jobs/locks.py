"""A job runs at most once at a time: the runner holds a lock named after the job while it works.

The lock belongs to the process, not to a row: a run killed half way (kill -9, a crashed container) frees it
with its connection or file descriptor, so a job is never left "busy" by a run that no longer exists.
PostgreSQL: a session-level advisory lock on a connection held for the run. SQLite (one machine): an
exclusive ``flock`` on a file beside the database, which also covers `kringloop jobs run` in another process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings

# An in-memory SQLite database lives in one process: a set of names held there is the whole truth.
_held_in_memory: set[str] = set()


def advisory_key(job_name: str) -> int:
    """A stable signed 64-bit key (Python's hash() changes between processes)."""
    digest = hashlib.sha256(f"kringloop-job:{job_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@asynccontextmanager
async def job_lock(engine: AsyncEngine, settings: Settings, job_name: str) -> AsyncIterator[bool]:
    """Yields True while this caller holds ``job_name``'s lock, False when another run holds it (never waits)."""
    if engine.dialect.name == "postgresql":
        async with _advisory(engine, job_name) as held:
            yield held
        return
    path = settings.sqlite_path()
    if path is None:
        held = job_name not in _held_in_memory
        _held_in_memory.add(job_name)
        try:
            yield held
        finally:
            if held:
                _held_in_memory.discard(job_name)
        return
    with _file_lock(path.with_name(f"{path.name}.job-{job_name}.lock")) as held:
        yield held


@asynccontextmanager
async def _advisory(engine: AsyncEngine, job_name: str) -> AsyncIterator[bool]:
    key = advisory_key(job_name)
    async with engine.connect() as conn:
        held = bool((await conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key})).scalar())
        # A session-level lock outlives the transaction: end it, so no connection idles in a transaction.
        await conn.commit()
        try:
            yield held
        finally:
            if held:
                # Returning the connection to the pool would keep a session lock: release it by hand.
                await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                await conn.commit()


@contextlib.contextmanager
def _file_lock(path: os.PathLike[str]) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock
