"""The first estimates anywhere save the default valuation policy as version 1: two at once both go on."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from service.context import Actor
from service.db import make_engine, make_sessionmaker
from service.settings import Settings
from service.valuation.service import ensure_saved
from tests.integration.conftest import Api


async def _first_estimate(settings: Settings, name: str, hold: float, wait: float) -> int:
    engine = make_engine(settings)  # one engine per "instance"
    try:
        async with make_sessionmaker(engine)() as session:
            await asyncio.sleep(wait)
            version, _policy = await ensure_saved(session, Actor.cli(name))
            await asyncio.sleep(hold)  # the other one saves in the meantime
            await session.commit()
            return version
    finally:
        await engine.dispose()


async def test_two_first_estimates_at_once_share_version_one(api: Api, settings: Settings) -> None:
    versions = await asyncio.gather(
        _first_estimate(settings, "first", hold=0.3, wait=0), _first_estimate(settings, "second", hold=0, wait=0.05)
    )
    assert versions == [1, 1]
    async with api.app.state.engine.connect() as conn:
        saved = (await conn.execute(sa.text("SELECT version, created_by FROM valuation_policies"))).all()
        audited = (
            await conn.execute(sa.text("SELECT count(*) FROM audit_records WHERE action = 'valuation_policy.create'"))
        ).scalar_one()
    assert [tuple(r) for r in saved] == [(1, "cli:first")] and audited == 1
