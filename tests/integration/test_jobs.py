"""Job runs: one claim per slot across instances, failures roll back, the scheduler fires them."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.bootstrap import Ports
from service.charities.models import Charity
from service.context import Actor
from service.db import make_engine, make_sessionmaker
from service.jobs.registry import Job
from service.jobs.scheduler import build_scheduler
from service.jobs.service import manual_slot, run_job
from service.settings import Settings
from tests.integration.conftest import Api


async def _make_charity(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    await asyncio.sleep(0.05)  # long enough for a racing instance to try the same slot
    session.add(Charity(name=f"Made by {actor.name} {manual_slot()}"))
    return {"created": 1}


async def _fail_half_way(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    session.add(Charity(name="Half-written"))
    await session.flush()
    raise RuntimeError("partner exploded")


async def _charities(settings: Settings) -> int:
    engine = make_engine(settings)
    async with engine.connect() as conn:
        n = (await conn.execute(sa.text("SELECT count(*) FROM charities"))).scalar_one()
    await engine.dispose()
    return int(n)


async def test_two_instances_firing_the_same_slot_run_it_once(settings: Settings) -> None:
    job = Job(name="make-charity", description="test", work=_make_charity)
    # Two engines stand for two app instances.
    engines = [make_engine(settings), make_engine(settings)]
    try:
        results = await asyncio.gather(*[
            run_job(make_sessionmaker(e), job, slot="at:1000", triggered_by=f"instance-{i}", ports=Ports(),
                    settings=settings)
            for i, e in enumerate(engines)
        ])
    finally:
        for e in engines:
            await e.dispose()
    ran = [r for r in results if r is not None]
    assert len(ran) == 1 and ran[0].outcome == "succeeded" and ran[0].counts == {"created": 1}
    assert await _charities(settings) == 1
    engine = make_engine(settings)
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT slot, triggered_by, outcome FROM job_runs ORDER BY outcome"))).all()
    await engine.dispose()
    loser = "instance-1" if ran[0].triggered_by == "instance-0" else "instance-0"
    # The instance that found the slot taken says so in a run of its own.
    winner = ran[0].triggered_by
    assert [tuple(r) for r in rows] == [("at:1000", loser, "already_claimed"), ("at:1000", winner, "succeeded")]


async def test_a_failing_job_leaves_nothing_half_done_and_records_why(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        run = await run_job(make_sessionmaker(engine), Job(name="fails", description="t", work=_fail_half_way),
                            slot=manual_slot(), triggered_by="test", ports=Ports(), settings=settings)
    finally:
        await engine.dispose()
    assert run is not None and run.outcome == "failed" and "partner exploded" in run.message
    assert run.finished_at is not None
    assert await _charities(settings) == 0


async def test_the_scheduler_fires_jobs_on_their_trigger(settings: Settings) -> None:
    job = Job(name="tick", description="t", work=_make_charity, trigger=("interval", {"seconds": 1}), slot_seconds=1)
    engine = make_engine(settings)
    scheduler = build_scheduler(make_sessionmaker(engine), {job.name: job}, Ports(), settings)
    scheduler.start()
    try:
        for _ in range(50):
            await asyncio.sleep(0.1)
            if await _charities(settings) >= 2:
                break
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0.2)
        await engine.dispose()
    assert await _charities(settings) >= 2


async def test_jobs_api_lists_and_runs(api: Api) -> None:
    api.app.state.jobs = {"make-charity": Job(name="make-charity", description="Makes a charity", work=_make_charity)}
    assert (await api.post("helpdesk", "/api/v1/jobs/make-charity/run")).status_code == 403
    run = await api.post("admin", "/api/v1/jobs/make-charity/run")
    assert run.status_code == 200 and run.json()["outcome"] == "succeeded"
    assert (await api.post("admin", "/api/v1/jobs/nope/run")).status_code == 404
    listing = (await api.get("auditor", "/api/v1/jobs")).json()["items"]
    assert listing[0]["name"] == "make-charity" and listing[0]["recent_runs"][0]["triggered_by"] == "api"


async def test_a_live_run_is_never_taken_for_abandoned(settings: Settings) -> None:
    from service.jobs.service import mark_abandoned

    started, release = asyncio.Event(), asyncio.Event()

    async def _slow(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
        started.set()
        await release.wait()
        return {"done": 1}

    job = Job(name="slow", description="t", work=_slow)
    engines = [make_engine(settings), make_engine(settings)]  # the running instance, and another looking at it
    try:
        running = asyncio.create_task(run_job(make_sessionmaker(engines[0]), job, slot=manual_slot(),
                                              triggered_by="test", ports=Ports(), settings=settings))
        await asyncio.wait_for(started.wait(), 10)
        async with make_sessionmaker(engines[1])() as session:
            assert await mark_abandoned(session, "slow") == 0
            await session.commit()
        release.set()
        run = await running
    finally:
        for e in engines:
            await e.dispose()
    assert run is not None and run.outcome == "succeeded" and run.counts == {"done": 1}
