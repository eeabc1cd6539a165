"""1,000 approval attempts on one donation at once, from many finance users over two app instances' connections:
exactly the approvals the amount needs, one debit, the pool never below zero, every other entry untouched."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest
import sqlalchemy as sa

from service.accounts.models import User
from service.app import create_app
from service.db import session_scope
from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, password_hash
from tests.integration.donation_helpers import credit, run, set_shares

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

ATTEMPTS = 1000
APPROVERS = 30  # finance users besides the submitter


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(database.url, donation_two_approvers_above_cents=10_000)


async def _finance_users(api: Api, n: int) -> list[str]:
    names = [f"approver{i:02}" for i in range(n)]
    async with session_scope(api.app.state.sessionmaker) as session:
        for name in names:
            user = User(username=name, role="finance", password_hash=password_hash(), full_name=name.title())
            session.add(user)
            await session.flush()
            assert user.id is not None
            api.user_ids[name] = user.id
            api.tokens[name] = api.app.state.api_tokens.issue(user.id, user.session_epoch)
    return names


async def _ledger(api: Api) -> list[tuple[int, str, int]]:
    async with api.app.state.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT id, kind, amount_cents FROM pool_entries ORDER BY id"))
        return [(r[0], r[1], r[2]) for r in rows]


@pytest.mark.parametrize(("amount", "needed"), [("80.00", 1), ("150.00", 2)])
async def test_a_thousand_concurrent_approvals(api: Api, settings: Settings, amount: str, needed: int) -> None:
    await credit(api, 1, amount)
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    # A credit after the run stays unallocated: the pool could pay a second debit, so only the approval's own
    # locks, not the pool's refusal to go negative, stand between a race and a double approval.
    await credit(api, 2, "500.00")
    submitted = await api.post("finance", f"/api/v1/donations/{draft['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    approvers = await _finance_users(api, APPROVERS)
    before = await _ledger(api)

    # A second app instance on its own engine: the attempts spread over both instances' connection pools.
    other = create_app(settings)
    clients = [
        api.client,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://testserver"),
    ]
    url = f"/api/v1/donations/{draft['id']}/approve"
    who = list(itertools.islice(itertools.cycle([*approvers, "finance"]), ATTEMPTS))  # the submitter tries too

    async def attempt(i: int) -> int:
        response = await clients[i % 2].post(url, headers=api.headers(who[i]))
        return response.status_code

    started = time.monotonic()
    try:
        codes = await asyncio.wait_for(asyncio.gather(*[attempt(i) for i in range(ATTEMPTS)]), timeout=120)
    finally:
        await clients[1].aclose()
        await other.state.engine.dispose()
    elapsed = time.monotonic() - started
    print(f"{ATTEMPTS} approval attempts by {APPROVERS + 1} finance users in {elapsed:.1f} s")

    assert len(codes) == ATTEMPTS
    assert codes.count(200) == needed, sorted(set(codes))
    assert set(codes) <= {200, 403, 409}, sorted(set(codes))
    async with api.app.state.engine.connect() as conn:
        approved_by = (await conn.execute(
            sa.text("SELECT user_id FROM donation_approvals WHERE donation_id = :d"), {"d": draft["id"]}
        )).scalars().all()  # fmt: skip
        statements = (await conn.execute(sa.text("SELECT count(*) FROM statements"))).scalar_one()
    assert len(approved_by) == needed and len(set(approved_by)) == needed
    assert api.user_ids["finance"] not in approved_by  # four eyes: never the submitter
    assert statements == 1

    after = await _ledger(api)
    debits = [e for e in after if e[1] == "debit"]
    assert [d[2] for d in debits] == [-draft_cents(amount)]
    assert [e for e in after if e[1] != "debit"] == before  # nothing else written, nothing changed
    assert sum(e[2] for e in after) == sum(e[2] for e in before) - draft_cents(amount)
    running = list(itertools.accumulate(e[2] for e in after))
    assert min(running) >= 0
    pool = (await api.get("finance", "/api/v1/pool")).json()
    assert pool["balance"] == "500.00"
    detail = (await api.get("finance", f"/api/v1/donations/{draft['id']}")).json()
    assert detail["status"] == "approved"
    assert (await api.get("auditor", "/api/v1/audit/verify")).json()["ok"] is True


def draft_cents(amount: str) -> int:
    euros, cents = amount.split(".")
    return int(euros) * 100 + int(cents)
