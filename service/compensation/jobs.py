"""The daily compensation job: sweep for missing obligations, retry due batches, send new ones.

Unlike most jobs this one talks to a partner, so it commits at three points instead of one: the claim (the
batch and its idempotency key exist before anything is sent), then nothing is held open while the partner
answers, then the answer is recorded. A run that dies mid-send leaves a ``sending`` batch whose lease runs out;
the next run sends it again under the same key, and the partner, seeing the key, does not count it twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.ports import CompensationItem, CompensationPartner, Rejected, Retryable
from service.compensation import service
from service.compensation.models import CompensationBatch
from service.context import Actor
from service.db import utcnow
from service.jobs.crontab import cron_fields
from service.jobs.registry import Job
from service.ports import Ports
from service.settings import Settings

log = structlog.get_logger("kringloop.compensation")


async def compensate(session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
    counts = {
        "obligations_created": 0,
        "batches_sent": 0,
        "obligations_compensated": 0,
        "batches_retry_wait": 0,
        "batches_rejected": 0,
    }
    rules = service.compensation_rules(settings)
    counts["obligations_created"] = len(await service.create_obligations(session, actor, rules))
    await session.commit()
    started = utcnow()
    lease = timedelta(seconds=max(300.0, 3 * settings.compensation_partner_timeout_seconds))
    partner = ports.compensation
    budget = settings.compensation_max_batches_per_run

    reachable = True
    # Batches waiting for a retry go first: their obligations have waited longest.
    while reachable and budget > 0:
        claimed = await service.claim_due_batch(session, actor, started, lease)
        await session.commit()
        if claimed is None:
            break
        budget -= 1
        reachable = await _send(session, actor, partner, *claimed, settings, counts)
    # When the partner is unavailable, the rest stays pending rather than piling up failing batches.
    while reachable and budget > 0:
        claimed = await service.claim_new_batch(session, actor, settings.compensation_batch_size, utcnow(), lease)
        await session.commit()
        if claimed is None:
            break
        budget -= 1
        reachable = await _send(session, actor, partner, *claimed, settings, counts)
    return counts


async def _send(
    session: AsyncSession,
    actor: Actor,
    partner: CompensationPartner,
    batch: CompensationBatch,
    items: list[CompensationItem],
    settings: Settings,
    counts: dict[str, Any],
) -> bool:
    """Sends one claimed batch and records the answer; False when the partner could not be reached."""
    assert batch.id is not None
    counts["batches_sent"] += 1
    try:
        receipts = await partner.submit_batch(batch.key, items)
    except Retryable as exc:
        next_at = await service.record_retry(
            session, actor, batch, str(exc), utcnow(), settings.compensation_retry_seconds
        )
        await session.commit()
        if next_at is not None:
            counts["batches_retry_wait"] += 1
            log.warning(
                "compensation_batch_retry", batch=batch.id, attempt=batch.attempts, error=str(exc), next_at=next_at
            )
        return False
    except Rejected as exc:
        if await service.record_rejected(session, actor, batch, str(exc), utcnow()):
            counts["batches_rejected"] += 1
            log.error("compensation_batch_rejected", batch=batch.id, message=str(exc))
        await session.commit()
        return True
    counts["obligations_compensated"] += await service.record_confirmed(session, actor, batch.id, receipts, utcnow())
    await session.commit()
    return True


def compensation_job(settings: Settings) -> Job:
    return Job(
        name="compensation",
        description="Sends pending one-for-one e-waste compensations to the partner in batches and records "
        "its references; retries failed batches with backoff under the same idempotency key.",
        work=compensate,
        trigger=("cron", cron_fields(settings.compensation_cron)),
    )
