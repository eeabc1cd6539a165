"""``kringloop jobs run donations`` as a real process, on both databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.charities.models import Charity
from service.context import Actor
from service.db import make_engine, make_sessionmaker, session_scope
from service.pool import service as pool
from service.settings import Settings
from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]


def _kringloop(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(
        KRINGLOOP_DATABASE_URL=settings.database_url, KRINGLOOP_SECRET_KEY=TEST_SECRET, KRINGLOOP_LOG_LEVEL="WARNING",
        KRINGLOOP_LANG="en",
    )
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT, timeout=120
    )


async def _prepare(settings: Settings, share_bp: int) -> None:
    engine = make_engine(settings)
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            session.add(Charity(name="Stichting CLI", share_bp=share_bp, minimum_donation_cents=1000))
            # A pool-wide adjustment is a source of its own: it becomes a line without a device.
            await pool.adjust(session, Actor.cli("test"), 12_345, "Canteen fund collection for the charities")
    finally:
        await engine.dispose()


async def _donations(settings: Settings) -> list[tuple[str, int]]:
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT status, amount_cents FROM donations ORDER BY id"))
            return [(r[0], r[1]) for r in rows]
    finally:
        await engine.dispose()


@pytest.mark.slow  # many seconds: make test-fast leaves it out
def test_jobs_run_donations_drafts_once_and_refuses_bad_shares(settings: Settings) -> None:
    asyncio.run(_prepare(settings, 9_000))
    refused = _kringloop(settings, "jobs", "run", "donations")
    assert refused.returncode == 1 and "not 100 %" in refused.stderr
    engine_settings = settings

    async def fix_share() -> None:
        engine = make_engine(engine_settings)
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE charities SET share_bp = 10000"))
        await engine.dispose()

    asyncio.run(fix_share())
    ran = _kringloop(settings, "jobs", "run", "donations")
    assert ran.returncode == 0, ran.stderr
    assert "donations: succeeded donations: 1" in ran.stdout and "drafted: 123.45" in ran.stdout
    again = _kringloop(settings, "jobs", "run", "donations")
    assert again.returncode == 0 and "donations: 0" in again.stdout
    assert asyncio.run(_donations(settings)) == [("draft", 12_345)]
    listed = _kringloop(settings, "jobs", "list")
    assert "donations" in listed.stdout and "statement-delivery" in listed.stdout
