"""``Idempotency-Key`` on create requests: the same key and body replay the first response."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit.chain import canonical_json
from service.db import utcnow
from service.errors import InvalidInput
from service.i18n import _
from service.idempotency.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


async def run_once(
    session: AsyncSession,
    *,
    user_id: int,
    route: str,
    key: str | None,
    body: Any,
    ttl: timedelta,
    create: Callable[[], Awaitable[tuple[int, Any]]],
) -> tuple[int, Any, bool]:
    """Returns (status, payload, replayed). The record is written in the request's own transaction,
    so a create that rolls back leaves no key behind; a concurrent duplicate fails on the unique key."""
    if key is None:
        status, payload = await create()
        return status, payload, False
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput.field(
            "Idempotency-Key", _("must be 1 to {MAX_KEY_LENGTH} characters").format(MAX_KEY_LENGTH=MAX_KEY_LENGTH)
        )
    request_hash = hashlib.sha256(canonical_json(body).encode()).hexdigest()
    scope = (IdempotencyRecord.user_id == user_id, IdempotencyRecord.route == route, IdempotencyRecord.key == key)
    existing = (await session.exec(select(IdempotencyRecord).where(*scope))).first()
    if existing is not None and existing.created_at < utcnow() - ttl:
        await session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
        existing = None
    if existing is not None:
        if existing.request_hash != request_hash:
            raise InvalidInput.field(
                "Idempotency-Key", _("was already used with a different request body; use a new key for a new request")
            )
        return existing.status_code, json.loads(existing.response_body), True
    status, payload = await create()
    session.add(
        IdempotencyRecord(
            user_id=user_id,
            route=route,
            key=key,
            request_hash=request_hash,
            status_code=status,
            response_body=json.dumps(payload),
        )
    )
    await session.flush()
    return status, payload, False
