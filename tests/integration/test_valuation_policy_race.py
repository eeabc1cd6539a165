"""The first estimates anywhere save the default valuation policy as version 1: two at once both go on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from service.context import Actor
from service.db import make_engine, make_sessionmaker
from service.settings import Settings
from service.valuation import service
from tests.conftest import Database
from tests.integration.conftest import Api


async def _first_estimate(settings: Settings, name: str, start: asyncio.Barrier) -> int:
    engine = make_engine(settings)  # one engine per "instance"
    try:
        async with make_sessionmaker(engine)() as session:
            await asyncio.wait_for(start.wait(), 10)
            version, _policy = await service.ensure_saved(session, Actor.cli(name))
            await session.commit()
            return version
    finally:
        await engine.dispose()


async def test_two_first_estimates_at_once_share_version_one(
    api: Api, settings: Settings, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    met: set[Any] = set()  # the instances that have read the policy once
    if database.kind == "postgres":
        # Each instance waits, after its first read, until the other has read too: both have seen "nothing saved"
        # before either saves, so one of them must lose on the unique version and carry on with the other's.
        # (SQLite cannot get here: BEGIN IMMEDIATE, service/db.py, lets the second read only after the first commits.)
        both_read = asyncio.Barrier(2)
        read = service.current_policy

        async def read_then_meet(session: Any) -> Any:
            found = await read(session)
            task = asyncio.current_task()
            if task not in met:
                met.add(task)
                await asyncio.wait_for(both_read.wait(), 10)
            return found

        monkeypatch.setattr(service, "current_policy", read_then_meet)
    start = asyncio.Barrier(2)
    versions = await asyncio.gather(
        _first_estimate(settings, "first", start), _first_estimate(settings, "second", start)
    )
    assert versions == [1, 1]
    assert len(met) == (2 if database.kind == "postgres" else 0), "on PostgreSQL both read before either saved"
    async with api.app.state.engine.connect() as conn:
        saved = (await conn.execute(sa.text("SELECT version, created_by FROM valuation_policies"))).all()
        audited = (
            await conn.execute(sa.text("SELECT count(*) FROM audit_records WHERE action = 'valuation_policy.create'"))
        ).scalar_one()
    assert len(saved) == 1 and saved[0][0] == 1 and saved[0][1] in ("cli:first", "cli:second")
    assert audited == 1
