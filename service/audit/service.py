"""Appending to and checking the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit.chain import ChainBreak, encoded, find_first_break, record_hash
from service.audit.models import AuditChainHead, AuditRecord
from service.context import Actor
from service.db import utcnow


def json_safe(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, Enum):
            out[key] = value.value
        else:
            out[key] = value
    return out


def snapshot(obj: Any, exclude: frozenset[str] = frozenset({"password_hash"})) -> dict[str, Any]:
    """The audited state of a table row: its columns, secrets left out."""
    return json_safe({k: v for k, v in obj.model_dump().items() if k not in exclude})


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k) and k not in ("updated_at",)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    # Locking the head row serialises appenders (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE),
    # and the unique seq/prev_hash columns make a fork impossible even if a lock were missed.
    head = (
        await session.execute(
            sa.select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1).with_for_update()
        )
    ).one()
    seq, prev_hash = head.seq + 1, head.hash
    at = utcnow()
    entity_id = str(entity_id)
    # Encoded once: the hash and the column take the same text (a large record took as long to encode twice as
    # the rest of its writing).
    before_json = None if before is None else encoded(before)
    after_json = None if after is None else encoded(after)
    digest = record_hash(
        seq=seq,
        at=at,
        actor=actor.name,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before_json,
        after=after_json,
        prev_hash=prev_hash,
    )
    entry = AuditRecord(
        seq=seq,
        at=at,
        actor=actor.name,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before_json,
        after=after_json,
        correlation_id=actor.correlation_id[:64],
        prev_hash=prev_hash,
        hash=digest,
    )
    session.add(entry)
    await session.execute(sa.update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=seq, hash=digest))
    await session.flush()
    # The object the caller gets holds the values, as a record read back would (not their encoded text).
    set_committed_value(entry, "before", before)
    set_committed_value(entry, "after", after)
    return entry


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_seq: int
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


async def verify_chain(session: AsyncSession, batch: int = 5000) -> VerifyResult:
    head = (await session.execute(sa.select(AuditChainHead.seq, AuditChainHead.hash))).one()
    last_seq, last_hash, checked = 0, "0" * 64, 0
    while True:
        rows = (
            (
                await session.execute(
                    sa.select(AuditRecord).where(AuditRecord.seq > last_seq).order_by(AuditRecord.seq).limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        broken = find_first_break(rows, last_hash, last_seq)
        if broken:
            return VerifyResult(checked + (broken.seq - last_seq - 1), head.seq, broken)
        checked += len(rows)
        last_seq, last_hash = rows[-1].seq, rows[-1].hash
        session.expunge_all()
    if last_seq != head.seq or last_hash != head.hash:
        reason = f"the chain ends at record {last_seq} but its head says {head.seq}: records were removed"
        return VerifyResult(checked, head.seq, ChainBreak(last_seq + 1, reason))
    return VerifyResult(checked, head.seq, None)


async def list_records(
    session: AsyncSession,
    *,
    entity_type: str | None,
    entity_id: str | None,
    actor: str | None,
    cursor: str | None,
    limit: int,
) -> Any:
    from service.pagination import keyset, page_of

    stmt = sa.select(AuditRecord)
    if entity_type:
        stmt = stmt.where(AuditRecord.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditRecord.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditRecord.actor == actor)
    rows = (await session.execute(keyset(stmt, AuditRecord.id, cursor, limit))).scalars().all()
    return page_of(list(rows), limit)
