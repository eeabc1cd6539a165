"""One for one: obligations with registration, the compensation job against the partner over real HTTP,
retries under the same key, rejections, and two racing instances on PostgreSQL submitting each obligation once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from integrations.compensation.client import HttpCompensationPartner
from integrations.compensation.fake import FakePartnerServer
from service.audit import service as audit_service
from service.bootstrap import Ports
from service.compensation import service as compensation_service
from service.compensation.jobs import compensation_job
from service.compensation.models import CompensationBatch, CompensationObligation
from service.compensation.service import compensation_rules, create_obligations
from service.context import Actor
from service.db import make_engine, make_sessionmaker, session_scope
from service.jobs.service import manual_slot, run_job
from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, count, seed_device, seed_model, ui_login


@pytest.fixture
def partner() -> Iterator[FakePartnerServer]:
    with FakePartnerServer() as server:
        yield server


def _ports(server: FakePartnerServer, timeout: float = 2.0) -> Ports:
    return Ports(compensation=HttpCompensationPartner(server.url, "", timeout))


async def _run(api: Api, ports: Ports, settings: Settings | None = None) -> Any:
    settings = settings or api.app.state.settings
    run = await run_job(api.app.state.sessionmaker, compensation_job(settings), slot=manual_slot(),
                        triggered_by="test", ports=ports, settings=settings)
    assert run is not None and run.outcome == "succeeded", run and run.message
    return run.counts


async def _rows(api: Api, model: Any) -> list[Any]:
    async with session_scope(api.app.state.sessionmaker) as session:
        return list((await session.execute(sa.select(model).order_by(model.id))).scalars().all())


async def _seed_fleet(api: Api, n: int) -> None:
    laptop = await seed_model(api)
    for i in range(n):
        await seed_device(api, laptop["id"], asset_tag=f"KL-{i}", serial_number=f"SN-{i}", purchase_date="2024-05-01")


async def test_obligations_follow_the_rules(api: Api) -> None:
    laptop, desktop = await seed_model(api), await seed_model(api, name="OptiPlex 7010", category="desktop")
    phone = await seed_model(api, manufacturer="Fairphone", name="5", category="phone", weight_grams=None)
    await seed_device(api, laptop["id"], asset_tag="A", serial_number="A", purchase_date="2022-12-31")
    await seed_device(api, laptop["id"], asset_tag="B", serial_number="B", purchase_date="2023-01-01")
    await seed_device(api, desktop["id"], asset_tag="C", serial_number="C", purchase_date="2024-01-01")
    await seed_device(api, phone["id"], asset_tag="D", serial_number="D", purchase_date="2025-06-01")
    obligations = await _rows(api, CompensationObligation)
    assert [(o.category, o.weight_grams, o.status) for o in obligations] == [
        ("laptop", 1590, "pending"), ("phone", 170, "pending")]  # a phone model without a weight: 170 g
    # Creating again (the job's sweep, a bulk import) never makes a second one.
    async with session_scope(api.app.state.sessionmaker) as session:
        rules = compensation_rules(api.app.state.settings)
        assert await create_obligations(session, Actor.cli("test"), rules) == []
        assert await create_obligations(session, Actor.cli("test"), rules, [1, 2, 3, 4]) == []
    assert await count(api.app, "compensation_obligations") == 2


async def test_the_job_sends_pending_obligations_and_records_references(api: Api, partner: FakePartnerServer) -> None:
    await _seed_fleet(api, 5)
    settings = api.app.state.settings.model_copy(update={"compensation_batch_size": 2})
    counts = await _run(api, _ports(partner), settings)
    assert counts == {"obligations_created": 0, "batches_sent": 3, "obligations_compensated": 5,
                      "batches_retry_wait": 0, "batches_rejected": 0}
    obligations = await _rows(api, CompensationObligation)
    assert {o.status for o in obligations} == {"compensated"}
    assert len({o.partner_reference for o in obligations}) == 5
    assert [b.status for b in await _rows(api, CompensationBatch)] == ["confirmed"] * 3
    assert (await _run(api, _ports(partner)))["batches_sent"] == 0

    summary = (await api.get("finance", "/api/v1/compensation")).json()
    assert (summary["purchased_since_start"], summary["compensated"], summary["coverage_percent"]) == (5, 5, "100.0")
    assert summary["kg_compensated"] == "7.95" and summary["partner"] == "built-in fake partner"


async def test_a_failed_batch_is_retried_later_under_the_same_key(api: Api, partner: FakePartnerServer) -> None:
    await _seed_fleet(api, 3)
    partner.fail_next(502, "bad gateway")
    counts = await _run(api, _ports(partner))
    assert (counts["batches_retry_wait"], counts["obligations_compensated"]) == (1, 0)
    [batch] = await _rows(api, CompensationBatch)
    assert (batch.status, batch.attempts, batch.last_error) == ("retry_wait", 1, "partner answered 502: bad gateway")
    assert batch.next_attempt_at is not None and batch.next_attempt_at > batch.last_attempt_at
    # Not due yet: nothing is sent.
    assert (await _run(api, _ports(partner)))["batches_sent"] == 0
    async with session_scope(api.app.state.sessionmaker) as session:
        await session.execute(sa.update(CompensationBatch).values(next_attempt_at=sa.func.current_timestamp()))
    await asyncio.sleep(0.01)
    counts = await _run(api, _ports(partner))
    assert (counts["batches_sent"], counts["obligations_compensated"]) == (1, 3)
    [batch] = await _rows(api, CompensationBatch)
    assert (batch.status, batch.attempts) == ("confirmed", 2)
    assert [r.key for r in partner.received] == [batch.key, batch.key]
    assert sorted(partner.counted_ids()) == ["1", "2", "3"]


async def test_a_timeout_then_a_resend_counts_once(api: Api, partner: FakePartnerServer) -> None:
    await _seed_fleet(api, 2)
    partner.stall_next(1.0)
    settings = api.app.state.settings.model_copy(update={"compensation_retry_seconds": 1})
    assert (await _run(api, _ports(partner, timeout=0.3), settings))["batches_retry_wait"] == 1
    await asyncio.sleep(1.1)
    assert (await _run(api, _ports(partner), settings))["obligations_compensated"] == 2
    assert len(partner.ledger.batches) == 1 and len(partner.counted_ids()) == 2
    assert [r.answered for r in partner.received] == [201, 200]


async def test_a_rejected_batch_waits_for_a_person(api: Api, partner: FakePartnerServer) -> None:
    await _seed_fleet(api, 2)
    partner.fail_next(422, "unknown customer number")
    assert (await _run(api, _ports(partner)))["batches_rejected"] == 1
    [batch] = await _rows(api, CompensationBatch)
    assert batch.status == "rejected" and "unknown customer number" in batch.partner_message
    assert {o.status for o in await _rows(api, CompensationObligation)} == {"rejected"}
    assert (await _run(api, _ports(partner)))["batches_sent"] == 0  # never retried blindly

    url = f"/api/v1/compensation/batches/{batch.id}/requeue"
    assert (await api.post("helpdesk", url, {"reason": "Customer number fixed"})).status_code == 403
    assert (await api.post("admin", url, {"reason": "short"})).status_code == 422
    requeued = await api.post("admin", url, {"reason": "Customer number fixed with the partner"})
    assert requeued.status_code == 200 and requeued.json()["requeued_by"] == "admin"
    assert (await api.post("admin", url, {"reason": "Customer number fixed with the partner"})).status_code == 409
    # The same from the page, by an admin whose page was older: the form is no longer drawn, the page says why.
    token = await ui_login(api, "admin")
    late = await api.client.post(
        f"/compensation/batches/{batch.id}/requeue", data={"_csrf_token": token, "reason": "Fixed it as well, twice"}
    )
    assert late.status_code == 409 and 'id="compensation-error"' in late.text and "rejected" in late.text
    assert (await _run(api, _ports(partner)))["obligations_compensated"] == 2
    first, second = await _rows(api, CompensationBatch)
    assert (first.status, second.status) == ("rejected", "confirmed") and first.key != second.key


async def test_listing_and_filtering(api: Api) -> None:
    await _seed_fleet(api, 3)
    page = (await api.get("auditor", "/api/v1/compensation", params={"status": "pending", "limit": 2})).json()
    assert [o["status"] for o in page["items"]] == ["pending", "pending"] and page["next_cursor"]
    assert page["by_status"][0] == {"status": "pending", "count": 3, "kg": "4.77"}
    assert (await api.get("auditor", "/api/v1/compensation", params={"status": "lost"})).status_code == 422
    assert (await api.get("auditor", "/api/v1/compensation/batches", params={"status": "rejcted"})).status_code == 422
    assert (await api.get("auditor", "/api/v1/compensation/batches", params={"status": "rejected"})).status_code == 200
    assert (await api.get("charity", "/api/v1/compensation")).status_code == 403


class _SlowAudit:
    """Holds each claim's transaction open a little longer, so the other instance's claim always overlaps it."""

    snapshot = staticmethod(audit_service.snapshot)

    async def record(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.03)
        return await audit_service.record(*args, **kwargs)


async def test_two_instances_submit_each_obligation_once(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two app instances (two engines) run the job at once, each with its own manual slot, so the runner's
    slot claim does not separate them: only the job's own row claims do."""
    if database.kind != "postgres":
        pytest.skip("the race needs two real connections to PostgreSQL; SQLite serialises writers")
    monkeypatch.setattr(compensation_service, "audit", _SlowAudit())
    settings = make_settings(database.url, compensation_batch_size=7)
    engines = [make_engine(settings), make_engine(settings)]
    try:
        async with session_scope(make_sessionmaker(engines[0])) as session:
            await session.execute(sa.text(
                "INSERT INTO device_models (manufacturer, name, category, weight_grams, storage_media_count, version,"
                " created_at, updated_at) VALUES ('Dell', 'Latitude', 'laptop', 1500, 1, 1, now(), now())"))
            await session.execute(sa.text(
                "INSERT INTO devices (asset_tag, manufacturer, model_id, purchase_date, purchase_price_cents, supplier,"
                " order_ref, location, condition_grade, notes, status, status_changed_at, version, created_at,"
                " updated_at) SELECT 'KL-' || g, 'Dell', 1, DATE '2024-01-01', 100000, '', '', '', 'A', '',"
                " 'in_stock', now(), 1, now(), now() FROM generate_series(1, 60) g"))
            rules = compensation_rules(settings)
            assert len(await create_obligations(session, Actor.cli("test"), rules)) == 60
        with FakePartnerServer() as server:
            server.delay_seconds = 0.02  # long enough for the other instance to claim meanwhile
            ports = _ports(server)
            job = compensation_job(settings)
            runs = await asyncio.gather(*[
                run_job(make_sessionmaker(e), job, slot=manual_slot(), triggered_by=f"instance-{i}", ports=ports,
                        settings=settings)
                for i, e in enumerate(engines)
            ])
            sent = Counter(item["id"] for r in server.received for item in r.body["items"])
        assert all(r is not None and r.outcome == "succeeded" for r in runs), [r and r.message for r in runs]
        assert all(r.counts["batches_sent"] > 0 for r in runs if r), "both instances should have done some work"
        assert sum(r.counts["obligations_compensated"] for r in runs if r) == 60
        assert len(sent) == 60 and set(sent.values()) == {1}, "an obligation was submitted twice"
        async with engines[0].connect() as conn:
            statuses = (await conn.execute(sa.text("SELECT status, count(*) FROM compensation_obligations"
                                                   " GROUP BY status"))).all()
        assert dict(statuses) == {"compensated": 60}
    finally:
        for engine in engines:
            await engine.dispose()


def test_the_purchase_start_date_and_categories_are_settings() -> None:
    settings = make_settings("sqlite+aiosqlite://", compensation_categories="laptop, tablet",
                             compensation_start_date="2024-06-01")
    rules = compensation_rules(settings)
    assert rules.owes("tablet", date(2024, 6, 1)) and not rules.owes("phone", date(2025, 1, 1))
    assert not rules.owes("laptop", date(2024, 5, 31))
    with pytest.raises(ValueError, match="unknown category 'toaster'"):
        make_settings("sqlite+aiosqlite://", compensation_categories="laptop,toaster")
    with pytest.raises(ValueError, match="crontab"):
        make_settings("sqlite+aiosqlite://", compensation_cron="daily")


async def test_a_late_answer_for_a_batch_another_run_finished_records_nothing(api: Api) -> None:
    await seed_device(api, (await seed_model(api))["id"], purchase_date="2024-03-01")
    actor = Actor.cli("test")
    async with session_scope(api.app.state.sessionmaker) as session:
        claimed = await compensation_service.claim_new_batch(
            session, actor, 10, compensation_service.utcnow(), timedelta(minutes=5)
        )
        assert claimed is not None
        batch = claimed[0]
    async with api.app.state.engine.begin() as conn:  # another run confirmed it after our lease ran out
        await conn.execute(sa.text("UPDATE compensation_batches SET status = 'confirmed'"))
    audited = await count(api.app, "audit_records")
    async with session_scope(api.app.state.sessionmaker) as session:
        now = compensation_service.utcnow()
        assert await compensation_service.record_retry(session, actor, batch, "timeout", now, 60) is None
        assert await compensation_service.record_rejected(session, actor, batch, "400 bad", now) is False
    assert await count(api.app, "audit_records") == audited
    (stored,) = await _rows(api, CompensationBatch)
    assert stored.status == "confirmed"
