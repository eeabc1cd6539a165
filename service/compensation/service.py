"""One-for-one obligations: created with their devices, claimed into batches, confirmed, retried or rejected.

Every claim is a conditional UPDATE over rows taken with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; on SQLite the
``BEGIN IMMEDIATE`` of service/db.py serialises writers), so racing job runs never put an obligation in two
batches. Services flush; the job (jobs.py) commits between claiming, sending and recording.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.ports import CompensationItem, CompensationReceipt
from service.audit import service as audit
from service.compensation import repository
from service.compensation.models import CompensationBatch, CompensationObligation
from service.compensation.rules import CompensationRules, new_batch_key, retry_delay_seconds
from service.context import Actor
from service.db import UTCDateTime, is_postgres, utcnow
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.errors import Conflict
from service.i18n import gettext
from service.settings import Settings

_ob: sa.Table = CompensationObligation.__table__  # type: ignore[attr-defined]
_batch: sa.Table = CompensationBatch.__table__  # type: ignore[attr-defined]
_dev: sa.Table = Device.__table__  # type: ignore[attr-defined]
_mod: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
AUDIT_CHUNK = 1000


def compensation_rules(settings: Settings) -> CompensationRules:
    return CompensationRules(
        categories=frozenset(settings.compensation_category_list), start_date=settings.compensation_start_date
    )


def _owing(rules: CompensationRules) -> sa.Select[Any]:
    """Devices that owe a compensation and have none yet, shaped as obligation rows."""
    weight = sa.func.coalesce(
        _mod.c.weight_grams,
        sa.case(dict(rules.default_weight_grams), value=_mod.c.category, else_=rules.weight_grams("other", None)),
    )
    return (
        sa.select(
            _dev.c.id,
            _mod.c.category,
            weight,
            _dev.c.purchase_date,
            sa.literal("pending"),
            sa.literal(""),
            sa.literal(utcnow(), UTCDateTime()),
        )
        .select_from(_dev.join(_mod, _mod.c.id == _dev.c.model_id))
        .where(_mod.c.category.in_(sorted(rules.categories)), _dev.c.purchase_date >= rules.start_date)
        .where(~sa.exists().where(_ob.c.device_id == _dev.c.id))
    )


async def create_obligations(
    session: AsyncSession, actor: Actor, rules: CompensationRules, device_ids: Sequence[int] | None = None
) -> list[int]:
    """Creates the missing obligations of ``device_ids`` (or of every device: the job's sweep) in one statement
    per 1000 devices; returns the new obligation ids. Safe to call again: a device never gets a second one
    (NOT EXISTS, and ON CONFLICT for a racing caller). Meant for single registrations and bulk imports alike."""
    created = await insert_obligations(session, rules, device_ids)
    for i in range(0, len(created), AUDIT_CHUNK):
        part = created[i : i + AUDIT_CHUNK]
        entity_id = str(part[0][0]) if len(part) == 1 else f"{part[0][0]}..{part[-1][0]}"
        await audit.record(
            session,
            actor,
            "compensation_obligation.create",
            "compensation_obligation",
            entity_id,
            after={"obligation_ids": [o for o, _ in part], "device_ids": [d for _, d in part]},
        )
    return [o for o, _ in created]


async def insert_obligations(
    session: AsyncSession, rules: CompensationRules, device_ids: Sequence[int] | None = None
) -> list[tuple[int, int]]:
    """create_obligations without its audit records, for a caller whose own record lists them (an import's chunk);
    returns (obligation id, device id) pairs in id order."""
    if not rules.categories:
        return []
    postgres = is_postgres(session)
    insert = pg_insert if postgres else sqlite_insert
    columns = ["device_id", "category", "weight_grams", "purchase_date", "status", "partner_reference", "created_at"]
    chunks: list[Sequence[int] | None] = [None]
    if device_ids is not None:
        ids = sorted(set(device_ids))
        chunks = [ids[i : i + AUDIT_CHUNK] for i in range(0, len(ids), AUDIT_CHUNK)]
    created: list[tuple[int, int]] = []
    for chunk in chunks:
        select = _owing(rules)
        if chunk is not None and postgres:
            # One array parameter: a list of a thousand ids would be a thousand parameters to send and plan.
            select = select.where(_dev.c.id == sa.any_(sa.literal(list(chunk), ARRAY(sa.Integer))))
        elif chunk is not None:
            select = select.where(_dev.c.id.in_(chunk))
        statement = (
            insert(_ob)
            # In device order, the ids one device at a time would give them, whatever plan the server picks.
            .from_select(columns, select.order_by(_dev.c.id))
            .on_conflict_do_nothing(index_elements=["device_id"])
            .returning(_ob.c.id, _ob.c.device_id)
        )
        created.extend((row.id, row.device_id) for row in (await session.execute(statement)).all())
    created.sort()
    return created


async def settle_obligations(
    session: AsyncSession, rules: CompensationRules, device_ids: Sequence[int]
) -> dict[str, list[Any]]:
    """After devices' purchase date or model (or a model's category or weight) were corrected: each one's
    obligation that is still pending (not yet sent to the partner) follows the device — removed when it no longer
    owes one, its category, weight and purchase date brought up to date otherwise — and a device that now owes one
    gets it. Obligations already sent or compensated stay as they are: the partner has them.

    Locks the pending obligations first (as the compensation job's claim does, before either writes an audit
    record), so call it before the caller's own audit record. Returns what changed for that record: "removed"
    (each obligation as it was), "updated" (before and after) and "created" ([obligation id, device id])."""
    if not rules.categories or not device_ids:
        return {}
    ids = sorted(set(device_ids))
    settled: dict[str, list[Any]] = {"removed": [], "updated": [], "created": []}
    for part in (ids[i : i + AUDIT_CHUNK] for i in range(0, len(ids), AUDIT_CHUNK)):
        pending = (await session.execute(_pending_of(part))).all()
        removed, updated = [], []
        for row in pending:
            was = {"category": row.category, "weight_grams": row.weight_grams, "purchase_date": row.purchase_date}
            if not rules.owes(row.now_category, row.now_purchase_date):
                removed.append(row.id)
                settled["removed"].append({"id": row.id, "device_id": row.device_id, **audit.json_safe(was)})
                continue
            now = {"category": row.now_category, "purchase_date": row.now_purchase_date,
                   "weight_grams": rules.weight_grams(row.now_category, row.model_weight)}  # fmt: skip
            if now != was:
                updated.append({"o_id": row.id, **{f"v_{k}": v for k, v in now.items()}})
                settled["updated"].append({"id": row.id, "device_id": row.device_id, "before": audit.json_safe(was),
                                           "after": audit.json_safe(now)})  # fmt: skip
        if removed:
            await session.execute(sa.delete(_ob).where(_ob.c.id.in_(removed)))
        if updated:
            columns = ("category", "weight_grams", "purchase_date")
            statement = (
                sa.update(_ob)
                .where(_ob.c.id == sa.bindparam("o_id"))
                .values({c: sa.bindparam(f"v_{c}") for c in columns})
            )
            await session.execute(statement, updated)
    settled["created"] = [list(pair) for pair in await insert_obligations(session, rules, ids)]
    return {kind: items for kind, items in settled.items() if items}


def _pending_of(device_ids: Sequence[int]) -> sa.Select[Any]:
    """The devices' pending obligations beside what the device is now, locked: a job claiming them into a batch
    waits, or (SKIP LOCKED) passes them by."""
    return (
        sa.select(
            _ob.c.id,
            _ob.c.device_id,
            _ob.c.category,
            _ob.c.weight_grams,
            _ob.c.purchase_date,
            _mod.c.category.label("now_category"),
            _mod.c.weight_grams.label("model_weight"),
            _dev.c.purchase_date.label("now_purchase_date"),
        )
        .select_from(_ob.join(_dev, _dev.c.id == _ob.c.device_id).join(_mod, _mod.c.id == _dev.c.model_id))
        .where(_ob.c.status == "pending", _ob.c.device_id.in_(device_ids))
        .order_by(_ob.c.id)
        .with_for_update(of=_ob)
    )


async def claim_new_batch(
    session: AsyncSession, actor: Actor, size: int, now: datetime, lease: timedelta
) -> tuple[CompensationBatch, list[CompensationItem]] | None:
    """Takes up to ``size`` pending obligations that no other run holds into a new batch being sent."""
    rows = (
        await session.execute(
            sa.select(_ob.c.id, _ob.c.category, _ob.c.weight_grams)
            .where(_ob.c.status == "pending")
            .order_by(_ob.c.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return None
    batch = CompensationBatch(
        key=new_batch_key(),
        status="sending",
        item_count=len(rows),
        weight_grams=sum(r.weight_grams for r in rows),
        attempts=1,
        locked_until=now + lease,
        last_attempt_at=now,
        created_by=actor.name,
        created_at=now,
    )
    session.add(batch)
    await session.flush()
    ids = [r.id for r in rows]
    result = await session.execute(
        sa.update(_ob).where(_ob.c.id.in_(ids), _ob.c.status == "pending").values(status="batched", batch_id=batch.id)
    )
    if result.rowcount != len(ids):  # type: ignore[attr-defined]
        raise RuntimeError(gettext("obligations changed under a row lock; refusing to send a partial batch"))
    await audit.record(
        session,
        actor,
        "compensation_batch.create",
        "compensation_batch",
        batch.id,
        after={"key": batch.key, "obligation_ids": ids, "weight_grams": batch.weight_grams},
    )
    return batch, [CompensationItem(r.id, r.category, r.weight_grams) for r in rows]


def _due(now: datetime) -> Any:
    # A batch waiting for its retry, or one whose sender vanished (its lease ran out) mid-send.
    return sa.or_(
        sa.and_(_batch.c.status == "retry_wait", _batch.c.next_attempt_at <= now),
        sa.and_(_batch.c.status == "sending", _batch.c.locked_until < now),
    )


async def claim_due_batch(
    session: AsyncSession, actor: Actor, now: datetime, lease: timedelta
) -> tuple[CompensationBatch, list[CompensationItem]] | None:
    """Takes the oldest batch due for another attempt; it is sent again under the same key."""
    batch_id = (
        await session.execute(
            sa.select(_batch.c.id).where(_due(now)).order_by(_batch.c.id).limit(1).with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if batch_id is None:
        return None
    result = await session.execute(
        sa.update(_batch)
        .where(_batch.c.id == batch_id, _due(now))
        .values(
            status="sending",
            attempts=_batch.c.attempts + 1,
            locked_until=now + lease,
            last_attempt_at=now,
            next_attempt_at=None,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    batch = await session.get(CompensationBatch, batch_id, populate_existing=True)
    assert batch is not None
    rows = (
        await session.execute(
            sa.select(_ob.c.id, _ob.c.category, _ob.c.weight_grams)
            .where(_ob.c.batch_id == batch_id, _ob.c.status == "batched")
            .order_by(_ob.c.id)
        )
    ).all()
    await audit.record(
        session,
        actor,
        "compensation_batch.retry",
        "compensation_batch",
        batch_id,
        after={"key": batch.key, "attempt": batch.attempts},
    )
    return batch, [CompensationItem(r.id, r.category, r.weight_grams) for r in rows]


async def record_confirmed(
    session: AsyncSession, actor: Actor, batch_id: int, receipts: Sequence[CompensationReceipt], now: datetime
) -> int:
    """Stores the partner's reference on each obligation; returns how many became compensated."""
    result = await session.execute(
        sa.update(_batch)
        .where(_batch.c.id == batch_id, _batch.c.status == "sending")
        .values(status="confirmed", confirmed_at=now, locked_until=None, last_error="")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return 0  # another run finished this batch after our lease ran out: the partner counted it once
    if receipts:
        await session.execute(
            sa.update(_ob)
            .where(_ob.c.id == sa.bindparam("oid"), _ob.c.batch_id == batch_id, _ob.c.status == "batched")
            .values(status="compensated", partner_reference=sa.bindparam("ref"), compensated_at=now),
            [{"oid": r.obligation_id, "ref": r.partner_reference[:200]} for r in receipts],
        )
    await audit.record(
        session,
        actor,
        "compensation_batch.confirm",
        "compensation_batch",
        batch_id,
        after={"references": {str(r.obligation_id): r.partner_reference for r in receipts}},
    )
    return len(receipts)


async def record_retry(
    session: AsyncSession, actor: Actor, batch: CompensationBatch, message: str, now: datetime, base_seconds: int
) -> datetime | None:
    """The batch waits for its next attempt; None (and nothing recorded) when it is no longer being sent by us:
    another run finished it after our lease ran out."""
    next_at = now + timedelta(seconds=retry_delay_seconds(batch.attempts, base_seconds))
    result = await session.execute(
        sa.update(_batch)
        .where(_batch.c.id == batch.id, _batch.c.status == "sending")
        .values(status="retry_wait", next_attempt_at=next_at, locked_until=None, last_error=message[:2000])
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    await audit.record(
        session,
        actor,
        "compensation_batch.fail",
        "compensation_batch",
        batch.id,
        after={"attempt": batch.attempts, "error": message[:2000], "next_attempt_at": next_at.isoformat()},
    )
    return next_at


async def record_rejected(
    session: AsyncSession, actor: Actor, batch: CompensationBatch, message: str, now: datetime
) -> bool:
    """A 4xx: the batch and its obligations wait for a person; they are never sent again on their own. False (and
    nothing recorded) when another run finished the batch after our lease ran out."""
    result = await session.execute(
        sa.update(_batch)
        .where(_batch.c.id == batch.id, _batch.c.status == "sending")
        .values(status="rejected", rejected_at=now, locked_until=None, partner_message=message[:4000])
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.execute(
        sa.update(_ob).where(_ob.c.batch_id == batch.id, _ob.c.status == "batched").values(status="rejected")
    )
    await audit.record(
        session,
        actor,
        "compensation_batch.reject",
        "compensation_batch",
        batch.id,
        after={"attempt": batch.attempts, "partner_message": message[:4000]},
    )
    return True


async def requeue_rejected(session: AsyncSession, actor: Actor, batch_id: int, reason: str) -> CompensationBatch:
    """A person read the partner's message and fixed the cause: the obligations go back to the queue and
    will travel in a new batch under a new key (the rejected one stays as it was, for the record)."""
    batch = await repository.get_batch(session, batch_id, lock=True)
    if batch.status != "rejected":
        raise Conflict(
            gettext("Batch {batch_id} is {status}; only a rejected batch can go back to the queue.").format(
                batch_id=batch_id, status=batch.status
            )
        )
    if batch.requeued_at is not None:
        raise Conflict(
            gettext("Batch {batch_id} went back to the queue already, on {requeued_at:%Y-%m-%d}.").format(
                batch_id=batch_id, requeued_at=batch.requeued_at
            )
        )
    result = await session.execute(
        sa.update(_ob)
        .where(_ob.c.batch_id == batch_id, _ob.c.status == "rejected")
        .values(status="pending", batch_id=None)
        .returning(_ob.c.id)
    )
    ids = sorted(result.scalars().all())
    batch.requeued_at, batch.requeued_by, batch.requeue_reason = utcnow(), actor.name, reason
    await session.flush()
    await audit.record(
        session,
        actor,
        "compensation_batch.requeue",
        "compensation_batch",
        batch_id,
        after={"reason": reason, "obligation_ids": ids},
    )
    return batch
