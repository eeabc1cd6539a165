"""Delivering statements to the charities' webhooks: queued with the statement, sent by the statement-delivery
job, retried with backoff until accepted, refused with a 4xx (finance sees the charity's words), or out of tries.

The job works in three steps so that no database lock is held while a charity takes its time to answer: claim
the due deliveries (commit), send them, record every attempt.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.ports import CharityGateway, Rejected, Retryable, StatementDelivery
from service.audit import service as audit
from service.charities.models import Charity
from service.context import Actor
from service.db import utcnow
from service.errors import Conflict
from service.i18n import _
from service.statements.formats import statement_links
from service.statements.models import Delivery, DeliveryAttempt, Statement
from service.statements.render import canonical_json

MAX_BACKOFF = timedelta(hours=6)


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """1, 2, 4, 8 ... times the base after each failed try, at most six hours."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def envelope(statement: Statement) -> bytes:
    """The Standard Webhooks payload shape: type, timestamp, data (the statement and the hashes of its forms)."""
    return canonical_json(
        {
            "type": "donation.statement.issued",
            "timestamp": statement.issued_at.isoformat(),
            "data": {
                "statement": json.loads(statement.json_document),
                "statementSha256": statement.json_sha256,
                "pdfSha256": statement.pdf_sha256,
                "csvSha256": statement.csv_sha256,
                "links": statement_links(statement.donation_id, statement.id),
            },
        }
    )


async def queue(session: AsyncSession, actor: Actor, statement: Statement, charity: Charity) -> Delivery | None:
    """A charity without a webhook URL fetches its statements from the portal instead."""
    if not charity.webhook_url:
        return None
    row = Delivery(
        statement_id=statement.id,  # type: ignore[arg-type]
        charity_id=charity.id,  # type: ignore[arg-type]
        message_id=f"msg_kringloop_statement_{statement.id}",
        body=envelope(statement),
        next_attempt_at=utcnow(),
        created_by=actor.name,
    )
    session.add(row)
    await session.flush()
    return row


async def redeliver(session: AsyncSession, actor: Actor, statement: Statement, charity: Charity) -> Delivery:
    """Sends the current statement again after a refusal or after the tries ran out (e.g. once the URL is fixed)."""
    latest = (
        await session.exec(
            select(Delivery).where(Delivery.statement_id == statement.id).order_by(Delivery.id.desc()).limit(1)  # type: ignore[union-attr]
        )
    ).first()
    if latest is not None and latest.status in ("pending", "accepted"):
        raise Conflict(
            _("Statement {number} is {status} at the charity already; nothing to resend.").format(
                number=statement.number, status=latest.status
            )
        )
    if not charity.webhook_url:
        raise Conflict(
            _("{name} has no webhook URL; an admin sets one on the charity first.").format(name=charity.name)
        )
    row = await queue(session, actor, statement, charity)
    assert row is not None
    await audit.record(
        session, actor, "statement.redeliver", "donation", statement.donation_id, after={"statement_id": statement.id}
    )
    return row


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    message: StatementDelivery


@dataclass(frozen=True)
class Sent:
    delivery_id: int
    outcome: str  # accepted | retry | rejected
    status_code: int | None
    message: str
    duration_ms: int
    gateway: str


async def claim_due(session: AsyncSession, *, lease: timedelta, limit: int = 50) -> list[Outgoing]:
    """Claims the deliveries that are due by moving their next try past a lease (a conditional UPDATE, so two
    instances never send the same one); the caller commits before sending and records the results after."""
    now = utcnow()
    due = (
        sa.select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)  # type: ignore[operator]
        .order_by(Delivery.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    ids = [r[0] for r in (await session.execute(due)).all()]
    if not ids:
        return []
    claimed = (
        await session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == "pending", Delivery.next_attempt_at <= now)  # type: ignore[union-attr, operator]
            .values(next_attempt_at=now + lease)
            .returning(Delivery.id, Delivery.message_id, Delivery.charity_id, Delivery.body)
        )
    ).all()
    charities = {
        c.id: c
        for c in (await session.exec(select(Charity).where(Charity.id.in_({r[2] for r in claimed})))).all()  # type: ignore[union-attr]
    }
    return [
        Outgoing(
            delivery_id=r[0],
            message=StatementDelivery(r[1], r[2], r[3], charities[r[2]].webhook_url, charities[r[2]].webhook_secret),
        )
        for r in sorted(claimed)
    ]


async def send(gateway: CharityGateway, outgoing: Outgoing) -> Sent:
    """One try, with no database transaction open: a slow charity holds up nobody else."""
    started = time.monotonic()
    outcome, status_code, message = "retry", None, ""
    try:
        if not outgoing.message.url:
            raise Rejected(_("The charity has no webhook URL any more; it fetches statements from the portal."))
        receipt = await gateway.deliver_statement(outgoing.message)
    except Rejected as exc:
        outcome, status_code, message = "rejected", exc.status_code, str(exc)
    except Retryable as exc:
        status_code, message = exc.status_code, str(exc)
    else:
        outcome, status_code, message = "accepted", receipt.status_code, receipt.message
    duration = int((time.monotonic() - started) * 1000)
    return Sent(outgoing.delivery_id, outcome, status_code, message, duration, gateway.name)


async def record(
    session: AsyncSession, actor: Actor, results: list[Sent], *, max_attempts: int, backoff_seconds: int
) -> dict[str, int]:
    counts = {"accepted": 0, "retrying": 0, "rejected": 0, "failed": 0}
    finished: list[Delivery] = []
    for sent in results:
        row = await session.get(Delivery, sent.delivery_id, with_for_update=True)
        assert row is not None
        row.attempts += 1
        session.add(
            DeliveryAttempt(
                delivery_id=row.id,  # type: ignore[arg-type]
                number=row.attempts,
                outcome=sent.outcome,
                status_code=sent.status_code,
                message=sent.message,
                duration_ms=sent.duration_ms,
                gateway=sent.gateway,
            )
        )
        row.last_message = sent.message
        if sent.outcome == "accepted" or sent.outcome == "rejected":
            row.status = sent.outcome
        elif row.attempts >= max_attempts:
            row.status = "failed"
            row.last_message = f"Gave up after {row.attempts} tries; the last: {sent.message}"
        else:
            row.next_attempt_at = utcnow() + backoff(row.attempts, backoff_seconds)
        if row.status != "pending":
            row.finished_at, row.next_attempt_at = utcnow(), None
            finished.append(row)
        counts[row.status if row.status != "pending" else "retrying"] += 1
    await session.flush()
    for row in finished:
        await audit.record(
            session,
            actor,
            f"statement.delivery_{row.status}",
            "donation",
            await _donation_of(session, row.statement_id),
            after={"delivery_id": row.id, "attempts": row.attempts, "message": row.last_message[:500]},
        )
    return counts


async def _donation_of(session: AsyncSession, statement_id: int) -> int:
    return int(
        (await session.execute(sa.select(Statement.donation_id).where(Statement.id == statement_id))).scalar_one()
    )


async def for_donation(session: AsyncSession, donation_id: int) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    statements = sa.select(Statement.id).where(Statement.donation_id == donation_id)
    deliveries = list(
        (
            await session.exec(
                select(Delivery).where(Delivery.statement_id.in_(statements)).order_by(Delivery.id.desc())  # type: ignore[attr-defined, union-attr]
            )
        ).all()
    )
    if not deliveries:
        return []
    attempts = list(
        (
            await session.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id.in_([d.id for d in deliveries]))  # type: ignore[attr-defined]
                .order_by(DeliveryAttempt.id)  # type: ignore[arg-type]
            )
        ).all()
    )
    return [(d, [a for a in attempts if a.delivery_id == d.id]) for d in deliveries]
