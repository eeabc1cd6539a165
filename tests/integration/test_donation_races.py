"""Races: many approvals of one donation at once, and two donation runs at once, never do anything twice."""

from __future__ import annotations

import asyncio
import itertools

import pytest
import sqlalchemy as sa

from service.jobs.service import manual_slot, run_job
from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, count
from tests.integration.donation_helpers import credit, run, set_shares

pytestmark = pytest.mark.usefixtures("api")


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(database.url, donation_two_approvers_above_cents=10_000)


async def _scalar(api: Api, sql: str) -> int:
    async with api.app.state.engine.connect() as conn:
        return int((await conn.execute(sa.text(sql))).scalar_one())


@pytest.mark.parametrize(("amount", "needed"), [("80.00", 1), ("150.00", 2)])
async def test_fifty_concurrent_approvals_approve_once_and_debit_once(
    api: Api, database: Database, amount: str, needed: int
) -> None:
    await credit(api, 1, amount)
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    await api.post("finance", f"/api/v1/donations/{draft['id']}/submit")
    approvers = itertools.islice(itertools.cycle(["finance2", "finance3", "finance"]), 50)
    responses = await asyncio.gather(*[api.post(who, f"/api/v1/donations/{draft['id']}/approve") for who in approvers])
    codes = [r.status_code for r in responses]
    assert codes.count(200) == needed, codes
    assert set(codes) <= {200, 403, 409}, codes
    assert await count(api.app, "donation_approvals") == needed
    assert await _scalar(api, "SELECT count(*) FROM pool_entries WHERE kind = 'debit'") == 1
    assert await count(api.app, "statements") == 1
    detail = (await api.get("finance", f"/api/v1/donations/{draft['id']}")).json()
    assert detail["status"] == "approved" and "finance" not in [a["by"] for a in detail["approvals"]]
    assert (await api.get("finance", "/api/v1/pool")).json()["balance"] == "0.00"
    assert (await api.get("auditor", "/api/v1/audit/verify")).json()["ok"] is True


async def test_two_runs_at_once_never_allocate_a_cent_twice(api: Api, settings: Settings) -> None:
    from service.db import make_engine, make_sessionmaker

    for n, amount in enumerate(("33.33", "10.00", "56.78", "1.01"), start=1):
        await credit(api, n, amount)
    await set_shares(api, "70", "30")
    job = api.app.state.jobs["donations"]
    # Two engines stand for two app instances running the job at the same moment.
    engines = [make_engine(settings), make_engine(settings)]
    try:
        runs = await asyncio.gather(
            *[
                run_job(
                    make_sessionmaker(e),
                    job,
                    slot=manual_slot(),
                    triggered_by=f"instance-{i}",
                    ports=api.app.state.ports,
                    settings=settings,
                )
                for i, e in enumerate(engines)
            ]
        )
    finally:
        for e in engines:
            await e.dispose()
    assert all(r is not None and r.outcome == "succeeded" for r in runs), [r and r.message for r in runs]
    made = sorted(r.counts["donations"] for r in runs if r is not None)
    assert made == [0, 2]  # the second run waited for the pool lock, then found nothing left
    over = await _scalar(
        api,
        "SELECT count(*) FROM (SELECT a.pool_entry_id FROM donation_allocations a JOIN pool_entries e "
        "ON e.id = a.pool_entry_id GROUP BY a.pool_entry_id, e.amount_cents "
        "HAVING sum(a.amount_cents) > e.amount_cents) t",
    )
    assert over == 0
    assert await _scalar(api, "SELECT sum(amount_cents) FROM donation_allocations") == 10112
    assert await _scalar(api, "SELECT sum(amount_cents) FROM donations") == 10112
