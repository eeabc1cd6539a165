"""The demo's one-for-one state: most obligations confirmed by the partner, one batch waiting for a retry,
the newest still pending (demo mode only)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.compensation.fake import FakeCompensationPartner
from service.compensation import service as compensation
from service.context import Actor
from service.db import utcnow
from service.settings import Settings


async def seed_compensation(session: AsyncSession, settings: Settings) -> str:
    """Most obligations confirmed by the (fake) partner, one batch waiting for its retry, the rest pending."""
    actor = Actor.system("compensation")
    partner = FakeCompensationPartner()
    total = int((await session.execute(sa.text("SELECT count(*) FROM compensation_obligations"))).scalar_one())
    now, lease = utcnow(), timedelta(minutes=10)
    confirmed = 0
    while confirmed < total * 0.7:
        claimed = await compensation.claim_new_batch(session, actor, 40, now, lease)
        if claimed is None:
            break
        batch, items = claimed
        assert batch.id is not None
        receipts = await partner.submit_batch(batch.key, items)
        confirmed += await compensation.record_confirmed(session, actor, batch.id, receipts, now)
    claimed = await compensation.claim_new_batch(session, actor, 10, now, lease)
    if claimed is not None:
        message = "partner answered 503: scheduled maintenance until 03:00"
        await compensation.record_retry(session, actor, claimed[0], message, now, settings.compensation_retry_seconds)
    return f"{confirmed} of {total} compensations confirmed"
