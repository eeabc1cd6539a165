from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.charities import service as charities
from service.charities.models import Charity
from service.charities.rules import people_reached
from service.context import Actor
from service.db import session_scope
from service.donations import repository, service
from service.donations.models import Donation, DonationApproval
from service.donations.run import reserved_cents
from service.donations.schemas import (
    ApprovalOut,
    AttemptOut,
    DeliveryOut,
    DonationDetailOut,
    DonationOut,
    DonationPage,
    LineOut,
    LinePage,
    OverviewOut,
    PaymentRequest,
    ReasonRequest,
    RunOut,
    StatementOut,
    YearTotalOut,
    YearTotalsOut,
)
from service.donations.workflow import DonationStatus, approvals_needed
from service.errors import Conflict, Forbidden
from service.i18n import _
from service.jobs import service as jobs
from service.jobs.models import JobRun
from service.money import format_cents
from service.pagination import DEFAULT_LIMIT
from service.pool import service as pool
from service.settings import Settings
from service.statements import delivery
from service.statements import service as statements
from service.statements.formats import BY_NAME, route_paths, statement_links
from service.statements.models import Statement
from service.web.deps import AppSettings, CurrentActor, DbSession, PageLimit, created


def statement_out(s: Statement, current_id: int | None) -> StatementOut:
    assert s.id is not None
    return StatementOut(
        id=s.id,
        number=s.number,
        version=s.version,
        kind=s.kind,
        current=s.id == current_id,
        supersedes_id=s.supersedes_id,
        reason=s.reason,
        issued_by=s.issued_by,
        issued_at=s.issued_at,
        lines=s.line_count,
        json_sha256=s.json_sha256,
        csv_sha256=s.csv_sha256,
        pdf_sha256=s.pdf_sha256,
        links=statement_links(s.donation_id, s.id),
    )


def donation_out(d: Donation, charity: Charity, approvals: list[DonationApproval], settings: Settings) -> DonationOut:
    assert d.id is not None
    status = DonationStatus(d.status)
    return DonationOut(
        id=d.id,
        company_id=d.company_id,
        charity_id=d.charity_id,
        charity_name=charity.name,
        status=d.status,
        status_label=status.label,
        amount=format_cents(d.amount_cents),
        currency=settings.currency,
        period_from=d.period_from,
        period_to=d.period_to,
        created_by=d.created_by,
        created_at=d.created_at,
        submitted_by=d.submitted_by,
        submitted_at=d.submitted_at,
        approvals=[ApprovalOut(by=a.username, at=a.at) for a in approvals],
        approvals_needed=approvals_needed(d.amount_cents, settings.donation_two_approvers_above_cents),
        approved_at=d.approved_at,
        paid_by=d.paid_by,
        paid_at=d.paid_at,
        payment_reference=d.payment_reference,
        acknowledged_by=d.acknowledged_by,
        acknowledged_at=d.acknowledged_at,
        closed_by=d.closed_by,
        closed_at=d.closed_at,
        close_reason=d.close_reason,
        people_reached=people_reached(d.amount_cents, charity.cost_per_device_cents),
        version=d.version,
    )


async def donations_out(session: AsyncSession, donations: list[Donation], settings: Settings) -> list[DonationOut]:
    by_id = await repository.charities_by_id(session, {d.charity_id for d in donations})
    approvals = await repository.approvals_by_donation(session, [d.id for d in donations])  # type: ignore[misc]
    return [donation_out(d, by_id[d.charity_id], approvals.get(d.id, []), settings) for d in donations]  # type: ignore[arg-type]


async def detail_out(session: AsyncSession, actor: Actor, donation: Donation, settings: Settings) -> DonationDetailOut:
    assert donation.id is not None
    base = (await donations_out(session, [donation], settings))[0]
    current = await statements.current(session, donation.id)
    deliveries = None
    if actor.charity_id is None:
        deliveries = [
            DeliveryOut(
                id=d.id,  # type: ignore[arg-type]
                statement_id=d.statement_id,
                message_id=d.message_id,
                status=d.status,
                attempts=d.attempts,
                next_attempt_at=d.next_attempt_at,
                last_message=d.last_message,
                finished_at=d.finished_at,
                tries=[AttemptOut.model_validate(a, from_attributes=True) for a in tries],
            )
            for d, tries in await delivery.for_donation(session, donation.id)
        ]
    return DonationDetailOut(
        **base.model_dump(),
        lines=await repository.line_count(session, donation.id),
        statement=None if current is None else statement_out(current, current.id),
        deliveries=deliveries,
    )


def download(statement: Statement, form: str, *, current: bool) -> Response[bytes]:
    body, media_type, digest = BY_NAME[form].document(statement)
    b64 = base64.b64encode(bytes.fromhex(digest)).decode()
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="statement-{statement.number}.{form}"',
            # RFC 9530 digest of the bytes served, and the same SHA-256 in hex as the statements list shows it.
            "Repr-Digest": f"sha-256=:{b64}:",
            "X-Content-SHA256": digest,
            "X-Statement-Number": statement.number,
            "ETag": f'"{digest}"',
            "Cache-Control": "private, no-cache" if current else "private, max-age=31536000, immutable",
        },
    )


async def start_run(state: State, actor: Actor, via: str) -> tuple[JobRun, list[Donation]]:
    """Runs the donations job now, as a recorded job run; refuses with the reason when it cannot start.

    Callers hold no transaction: on SQLite an open request transaction would hold the write lock the job needs."""
    async with session_scope(state.sessionmaker) as session:
        problem = charities.readiness(await charities.active_charities(session))
    if problem:
        raise Conflict(_("The donation run did not start. {problem}").format(problem=problem))
    run = await jobs.run_manually(
        state.sessionmaker,
        state.jobs["donations"],
        triggered_by=f"{via}:{actor.name}",
        ports=state.ports,
        settings=state.settings,
    )
    if run.outcome != "succeeded":
        raise Conflict(
            _("The donation run failed and changed nothing: {message}").format(message=run.message), job_run_id=run.id
        )
    async with session_scope(state.sessionmaker) as session:
        return run, await repository.donations_in_order(session, run.counts.get("donation_ids", []))


def _form_of(request: Request[Any, Any, Any]) -> str:
    return request.url.path.rsplit(".", 1)[-1]


class DonationController(Controller):
    path = "/api/v1/donations"
    tags = ["donations"]
    guards = [requires(Permission.read_money)]

    @get("/", summary="Donations (a charity user sees only its own, from approved on)")
    async def list_donations(
        self,
        session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        status: str | None = None,
        charity_id: int | None = None,
        company_id: int | None = Parameter(default=None, ge=1, description="only this company's donations"),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> DonationPage:
        page = await repository.list_donations(
            session,
            actor,
            statuses=[status] if status else None,
            charity_id=charity_id,
            company_id=company_id,
            cursor=cursor,
            limit=limit,
        )
        return DonationPage(items=await donations_out(session, page.items, settings), next_cursor=page.next_cursor)

    @get("/overview", summary="The pool, what open donations hold, and whether a run can start")
    async def overview(self, session: DbSession, actor: CurrentActor, settings: AppSettings) -> OverviewOut:
        if actor.charity_id is not None:
            raise Forbidden(_("The pool overview is for finance."))
        balance, held = await pool.balance(session), await reserved_cents(session)
        problem = charities.readiness(await charities.active_charities(session))
        return OverviewOut(
            currency=settings.currency,
            balance=format_cents(balance),
            held_by_open_donations=format_cents(held),
            unallocated=format_cents(balance - held),
            run_ready=problem is None,
            run_problem=problem,
        )

    @get("/totals", summary="Donations given per charity in a calendar year")
    async def totals(
        self, session: DbSession, actor: CurrentActor, settings: AppSettings, year: int | None = None
    ) -> YearTotalsOut:
        year = year or datetime.now(settings.tz).year
        rows = await repository.year_totals(session, actor, year, settings.tz)
        return YearTotalsOut(
            year=year,
            currency=settings.currency,
            items=[
                YearTotalOut(
                    charity_id=t.charity.id,  # type: ignore[arg-type]
                    charity_name=t.charity.name,
                    donations=t.donations,
                    amount=format_cents(t.amount_cents),
                    people_reached=t.people_reached,
                )
                for t in rows
            ],
            total=format_cents(sum(t.amount_cents for t in rows)),
        )

    @post("/run", guards=[requires(Permission.handle_money)], status_code=200, summary="Run the donation job now")
    async def run(self, state: State, actor: CurrentActor) -> RunOut:
        run, donations = await start_run(state, actor, "api")
        async with session_scope(state.sessionmaker) as session:
            items = await donations_out(session, donations, state.settings)
        return RunOut(job_run_id=run.id, outcome=run.outcome, message=run.message, counts=run.counts, donations=items)  # type: ignore[arg-type]

    @get("/{donation_id:int}")
    async def get_donation(
        self, session: DbSession, actor: CurrentActor, settings: AppSettings, donation_id: int
    ) -> DonationDetailOut:
        return await detail_out(session, actor, await service.get_donation(session, actor, donation_id), settings)

    @get("/{donation_id:int}/lines", summary="The credits (devices) a donation is made of, with the amount of each")
    async def list_lines(
        self,
        session: DbSession,
        actor: CurrentActor,
        donation_id: int,
        cursor: str | None = None,
        limit: PageLimit = 100,
    ) -> LinePage:
        await service.get_donation(session, actor, donation_id)
        page = await repository.lines(session, donation_id, cursor=cursor, limit=limit)
        return LinePage(
            items=[
                LineOut(
                    pool_entry_id=x.pool_entry_id,
                    device_id=x.device_id,
                    asset_tag=x.asset_tag,
                    serial_number=x.serial_number,
                    model=x.model,
                    category=x.category,
                    amount=format_cents(x.amount_cents),
                    released=x.released,
                )
                for x in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @get("/{donation_id:int}/statements", summary="Every statement of a donation, newest (current) first")
    async def list_statements(self, session: DbSession, actor: CurrentActor, donation_id: int) -> list[StatementOut]:
        await service.get_donation(session, actor, donation_id)
        found = await statements.history(session, donation_id)
        current_id = found[0].id if found else None
        return [statement_out(s, current_id) for s in found]

    @post(
        "/{donation_id:int}/statements",
        status_code=201,
        summary="Issue a correction: a new statement that supersedes the current one",
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        donation_id: int,
        data: JSONBody[ReasonRequest],
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            statement = await service.correct_statement(session, actor, settings, donation_id, data.reason)
            return 201, statement_out(statement, statement.id).model_dump(mode="json")

        return await created(request, session, data, create)

    @get(
        route_paths(one=False),
        summary="The current statement as PDF, CSV or JSON; X-Content-SHA256 and Repr-Digest carry its SHA-256",
    )
    async def current_statement(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, donation_id: int
    ) -> Response[bytes]:
        await service.get_donation(session, actor, donation_id)
        return download(await statements.with_documents(session, donation_id, None), _form_of(request), current=True)

    @get(
        route_paths(one=True),
        summary="One statement of the history, as PDF, CSV or JSON",
    )
    async def one_statement(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        actor: CurrentActor,
        donation_id: int,
        statement_id: int,
    ) -> Response[bytes]:
        await service.get_donation(session, actor, donation_id)
        found = await statements.with_documents(session, donation_id, statement_id)
        return download(found, _form_of(request), current=False)

    @post("/{donation_id:int}/submit", status_code=200)
    async def submit(
        self, session: DbSession, actor: CurrentActor, settings: AppSettings, donation_id: int
    ) -> DonationDetailOut:
        return await detail_out(session, actor, await service.submit(session, actor, donation_id), settings)

    @post("/{donation_id:int}/approve", status_code=200, summary="Approve (four eyes; two approvers above the limit)")
    async def approve(
        self, session: DbSession, actor: CurrentActor, settings: AppSettings, donation_id: int
    ) -> DonationDetailOut:
        result = await service.approve(session, actor, settings, donation_id)
        return await detail_out(session, actor, result.donation, settings)

    @post("/{donation_id:int}/reject", status_code=200, summary="Reject with a reason; its credits are released")
    async def reject(
        self,
        session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        donation_id: int,
        data: JSONBody[ReasonRequest],
    ) -> DonationDetailOut:
        donation = await service.reject(session, actor, donation_id, data.reason)
        return await detail_out(session, actor, donation, settings)

    @post("/{donation_id:int}/cancel", status_code=200, summary="Cancel an approved, unpaid donation (reverses)")
    async def cancel(
        self,
        session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        donation_id: int,
        data: JSONBody[ReasonRequest],
    ) -> DonationDetailOut:
        donation = await service.cancel(session, actor, settings, donation_id, data.reason)
        return await detail_out(session, actor, donation, settings)

    @post("/{donation_id:int}/mark-paid", status_code=200)
    async def mark_paid(
        self,
        session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        donation_id: int,
        data: JSONBody[PaymentRequest],
    ) -> DonationDetailOut:
        donation = await service.mark_paid(session, actor, donation_id, data.reference)
        return await detail_out(session, actor, donation, settings)

    @post("/{donation_id:int}/acknowledge", status_code=200, summary="The charity confirms it received the payment")
    async def acknowledge(
        self, session: DbSession, actor: CurrentActor, settings: AppSettings, donation_id: int
    ) -> DonationDetailOut:
        donation = await service.acknowledge(session, actor, donation_id)
        return await detail_out(session, actor, donation, settings)

    @post("/{donation_id:int}/redeliver", status_code=200, summary="Send the current statement to the webhook again")
    async def redeliver(
        self, session: DbSession, actor: CurrentActor, settings: AppSettings, donation_id: int
    ) -> DonationDetailOut:
        await service.redeliver(session, actor, donation_id)
        return await detail_out(session, actor, await service.get_donation(session, actor, donation_id), settings)
