"""The donation's way through approval: submit, approve (four eyes), reject, mark paid, acknowledge, cancel.

Locks, in the order every money path takes them: the donation row, then the pool (service.pool.service.lock),
then the audit chain head (taken by the first audit record). A statement is rendered after the locks on the
donation and the pool and before the first audit record, so a long PDF never holds up the audit chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.permissions import Permission
from service.audit import service as audit
from service.charities.models import Charity
from service.context import Actor
from service.db import utcnow
from service.donations.models import MAX_REFERENCE, Donation, DonationAllocation, DonationApproval
from service.donations.workflow import (
    GIVEN,
    VISIBLE_TO_CHARITY,
    DonationStatus,
    Step,
    StepRefused,
    approvals_needed,
    check_approver,
    next_status,
)
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.i18n import _
from service.money import format_cents
from service.pool import service as pool
from service.pool.ledger import EntryKind
from service.settings import Settings
from service.statements import delivery
from service.statements import service as statements
from service.statements.content import Approval
from service.statements.models import Statement


def _not_found(donation_id: int) -> NotFound:
    return NotFound(_("No donation has id {donation_id}.").format(donation_id=donation_id))


def visible(donation: Donation, actor: Actor) -> bool:
    """A charity user sees its own charity's donations, from approved on; everyone else who reads money, all."""
    if actor.charity_id is None:
        return True
    return donation.charity_id == actor.charity_id and donation.status in VISIBLE_TO_CHARITY


async def get_donation(session: AsyncSession, actor: Actor, donation_id: int) -> Donation:
    donation = await session.get(Donation, donation_id)
    if donation is None or not visible(donation, actor):
        raise _not_found(donation_id)
    return donation


async def _locked(session: AsyncSession, actor: Actor, donation_id: int, permission: Permission) -> Donation:
    stmt = (
        select(Donation).where(Donation.id == donation_id).with_for_update().execution_options(populate_existing=True)
    )
    donation = (await session.exec(stmt)).first()
    # Another charity's donation is "not found" whatever the step; one's own, a step outside the role, 403.
    if donation is None or not visible(donation, actor):
        raise _not_found(donation_id)
    if not actor.can(permission):
        raise Forbidden(_("Your role may not take this step on a donation."))
    return donation


def _advance(donation: Donation, step: Step) -> DonationStatus:
    try:
        return next_status(donation.status, step)
    except StepRefused as refused:
        raise Conflict(str(refused), current_status=donation.status) from None


def _touch(donation: Donation, status: DonationStatus) -> None:
    donation.status = status.value
    donation.version += 1
    donation.updated_at = utcnow()


async def _record(
    session: AsyncSession, actor: Actor, action: str, donation: Donation, before: str, **after: object
) -> None:
    await audit.record(
        session,
        actor,
        f"donation.{action}",
        "donation",
        donation.id,
        before={"status": before},
        after={"status": donation.status, **after},
    )


async def _charity(session: AsyncSession, donation: Donation) -> Charity:
    charity = await session.get(Charity, donation.charity_id)
    assert charity is not None
    return charity


async def approvals_of(session: AsyncSession, donation_id: int) -> list[DonationApproval]:
    stmt = select(DonationApproval).where(DonationApproval.donation_id == donation_id).order_by(DonationApproval.id)  # type: ignore[arg-type]
    return list((await session.exec(stmt)).all())


def approval_trail(donation: Donation, approvals: list[DonationApproval]) -> list[Approval]:
    trail = [Approval("submitted", donation.submitted_by, donation.submitted_at)] if donation.submitted_at else []
    return trail + [Approval("approved", a.username, a.at) for a in approvals]


async def submit(session: AsyncSession, actor: Actor, donation_id: int) -> Donation:
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    if actor.user_id is None:
        raise Forbidden(
            _("Only a signed-in finance user can submit a donation: the submitter is one of the four eyes.")
        )
    before = donation.status
    _touch(donation, _advance(donation, Step.submit))
    donation.submitted_by, donation.submitted_by_id, donation.submitted_at = actor.name, actor.user_id, utcnow()
    await session.flush()
    await _record(session, actor, "submit", donation, before)
    return donation


@dataclass(frozen=True)
class ApprovalResult:
    donation: Donation
    approvals: int
    needed: int
    statement: Statement | None


async def approve(session: AsyncSession, actor: Actor, settings: Settings, donation_id: int) -> ApprovalResult:
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    await pool.lock(session)
    target = _advance(donation, Step.approve)
    await statements.require_donor_details(session, settings, donation)  # before any approval counts
    earlier = await approvals_of(session, donation_id)
    try:
        check_approver(actor.user_id, donation.submitted_by_id, {a.user_id for a in earlier})
    except StepRefused as refused:
        raise Forbidden(str(refused)) from None
    needed = approvals_needed(donation.amount_cents, settings.donation_two_approvers_above_cents)
    now = utcnow()
    approval = DonationApproval(donation_id=donation_id, user_id=actor.user_id, username=actor.name, at=now)  # type: ignore[arg-type]
    complete = len(earlier) + 1 >= needed
    rendered = None
    if complete:
        charity = await _charity(session, donation)
        donation.approved_at = now
        trail = approval_trail(donation, [*earlier, approval])
        rendered = await statements.render(
            session, settings, donation, charity, trail, kind="original", reason="", status="approved", now=now
        )
    session.add(approval)
    try:
        await session.flush()
    except IntegrityError:  # the same user, racing themselves past the check above
        raise Conflict(_("You have already approved this donation.")) from None
    before = donation.status
    statement = None
    if complete:
        debit = await pool.append(
            session,
            actor,
            EntryKind.debit,
            -donation.amount_cents,
            company_id=donation.company_id,
            reason=f"Donation {donation.id} approved ({format_cents(donation.amount_cents)})",
        )
        donation.debit_entry_id = debit.id
        _touch(donation, target)
        await session.flush()
        await _record(
            session,
            actor,
            "approve",
            donation,
            before,
            approvals=len(earlier) + 1,
            needed=needed,
            debit_entry_id=debit.id,
        )
        assert rendered is not None
        statement = await statements.store(session, actor, donation, charity, rendered)
    else:
        donation.version += 1
        donation.updated_at = now
        await session.flush()
        await _record(session, actor, "approve", donation, before, approvals=len(earlier) + 1, needed=needed)
    return ApprovalResult(donation, len(earlier) + 1, needed, statement)


async def _release(session: AsyncSession, donation_id: int) -> int:
    result = await session.execute(
        sa.update(DonationAllocation)
        .where(DonationAllocation.donation_id == donation_id, DonationAllocation.released_at.is_(None))  # type: ignore[union-attr]
        .values(released_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput.field("reason", _("give a reason of a few words"))
    return reason


async def reject(session: AsyncSession, actor: Actor, donation_id: int, reason: str) -> Donation:
    """Nothing was debited yet: the allocations are released and their credits wait for the next run."""
    reason = _reason(reason)
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    await pool.lock(session)
    before = donation.status
    _touch(donation, _advance(donation, Step.reject))
    donation.closed_by, donation.closed_at, donation.close_reason = actor.name, utcnow(), reason
    released = await _release(session, donation_id)
    await session.flush()
    await _record(session, actor, "reject", donation, before, reason=reason, released_credits=released)
    return donation


async def cancel(session: AsyncSession, actor: Actor, settings: Settings, donation_id: int, reason: str) -> Donation:
    """An approved donation that was not paid: the debit is reversed, the credits are released, and a cancellation
    statement supersedes the one the charity received."""
    reason = _reason(reason)
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    await pool.lock(session)
    before = donation.status
    target = _advance(donation, Step.cancel)
    now = utcnow()
    charity = await _charity(session, donation)
    trail = approval_trail(donation, await approvals_of(session, donation_id))
    rendered = await statements.render(
        session, settings, donation, charity, trail, kind="cancellation", reason=reason, status="cancelled", now=now
    )
    reversal = await pool.append(
        session,
        actor,
        EntryKind.reversal,
        donation.amount_cents,
        company_id=donation.company_id,
        reason=f"Donation {donation.id} cancelled before payment: {reason}",
    )
    _touch(donation, target)
    donation.closed_by, donation.closed_at, donation.close_reason = actor.name, now, reason
    donation.reversal_entry_id = reversal.id
    released = await _release(session, donation_id)
    await session.flush()
    await _record(
        session,
        actor,
        "cancel",
        donation,
        before,
        reason=reason,
        reversal_entry_id=reversal.id,
        released_credits=released,
    )
    await statements.store(session, actor, donation, charity, rendered)
    return donation


async def mark_paid(session: AsyncSession, actor: Actor, donation_id: int, reference: str) -> Donation:
    reference = reference.strip()
    if not reference:
        raise InvalidInput.field("reference", _("give the payment reference from the bank transfer"))
    if len(reference) > MAX_REFERENCE:
        raise InvalidInput.field(
            "reference", _("is longer than {MAX_REFERENCE} characters").format(MAX_REFERENCE=MAX_REFERENCE)
        )
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    before = donation.status
    _touch(donation, _advance(donation, Step.mark_paid))
    donation.paid_by, donation.paid_at, donation.payment_reference = actor.name, utcnow(), reference
    await session.flush()
    await _record(session, actor, "mark_paid", donation, before, payment_reference=donation.payment_reference)
    return donation


async def acknowledge(session: AsyncSession, actor: Actor, donation_id: int) -> Donation:
    donation = await _locked(session, actor, donation_id, Permission.acknowledge_donation)
    if actor.charity_id is None or donation.charity_id != actor.charity_id:
        raise Forbidden(_("Only the receiving charity acknowledges a donation."))
    before = donation.status
    _touch(donation, _advance(donation, Step.acknowledge))
    donation.acknowledged_by, donation.acknowledged_at = actor.name, utcnow()
    await session.flush()
    await _record(session, actor, "acknowledge", donation, before)
    return donation


async def correct_statement(
    session: AsyncSession, actor: Actor, settings: Settings, donation_id: int, reason: str
) -> Statement:
    """A new statement from today's data that supersedes the current one (e.g. the charity's RSIN was wrong)."""
    reason = _reason(reason)
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    if donation.status not in GIVEN:
        raise Conflict(
            _("Donation {donation_id} is {status}; only an approved donation's statement is corrected.").format(
                donation_id=donation_id, status=donation.status
            )
        )
    await statements.require_donor_details(session, settings, donation)
    charity = await _charity(session, donation)
    trail = approval_trail(donation, await approvals_of(session, donation_id))
    rendered = await statements.render(
        session,
        settings,
        donation,
        charity,
        trail,
        kind="correction",
        reason=reason,
        status=donation.status,
        now=utcnow(),
    )
    return await statements.store(session, actor, donation, charity, rendered)


async def redeliver(session: AsyncSession, actor: Actor, donation_id: int) -> None:
    donation = await _locked(session, actor, donation_id, Permission.handle_money)
    statement = await statements.current(session, donation_id, with_documents=True)
    if statement is None:
        raise Conflict(
            _("Donation {donation_id} has no statement yet; it gets one when it is approved.").format(
                donation_id=donation_id
            )
        )
    await delivery.redeliver(session, actor, statement, await _charity(session, donation))
