"""Donation pages: finance's pool and pending donations, a donation's page with its steps, statements and
deliveries, and the charity portal (the same pages, scoped to the charity's own donations from approved on)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.audit import service as audit
from service.charities import service as charities
from service.context import Actor
from service.donations import repository, service
from service.donations.api import detail_out, donations_out, download, start_run, statement_out
from service.donations.run import reserved_cents
from service.donations.workflow import GIVEN, DonationStatus
from service.errors import DomainError
from service.i18n import gettext, lazy_gettext
from service.money import format_cents
from service.pool import service as pool
from service.statements import service as statements
from service.statements.formats import FORMATS, route_paths, statement_path
from service.statements.models import DeliveryStatus
from service.web.deps import CurrentActor, DbSession
from service.web.forms import Refused, submit_form

PENDING = [DonationStatus.draft.value, DonationStatus.submitted.value]
PENDING_SHOWN = 200  # the oldest first; the list of all donations below filters by status for the rest
STEP_LABELS = {
    "donation.draft": lazy_gettext("Drafted by the donation run"),
    "donation.submit": lazy_gettext("Submitted for approval"),
    "donation.approve": lazy_gettext("Approved"),
    "donation.reject": lazy_gettext("Rejected"),
    "donation.cancel": lazy_gettext("Cancelled before payment"),
    "donation.mark_paid": lazy_gettext("Marked paid"),
    "donation.acknowledge": lazy_gettext("Receipt acknowledged by the charity"),
    "statement.issue": lazy_gettext("Statement issued"),
    "statement.redeliver": lazy_gettext("Statement queued for delivery again"),
    "statement.delivery_accepted": lazy_gettext("Statement accepted by the charity's webhook"),
    "statement.delivery_rejected": lazy_gettext("Statement refused by the charity's webhook"),
    "statement.delivery_failed": lazy_gettext("Statement delivery gave up"),
}


def _details(after: dict[str, Any] | None) -> str:
    """An audit record's facts for people: money as money, internal keys left out."""
    parts = []
    for key, value in (after or {}).items():
        if key in ("status", "run_key", "first_entry_id", "last_entry_id") or value in (None, ""):
            continue
        if key.endswith("_cents") and isinstance(value, int):
            key, value = key.removesuffix("_cents"), format_cents(value)
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def _year(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and 2000 <= int(value) <= 2200 else default


async def _list_page(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    actor: Actor,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    settings = state.settings
    query = request.query_params
    status = query.get("status") or None
    status = status if status in DonationStatus.__members__ else None
    this_year = datetime.now(settings.tz).year
    year = _year(query.get("year"), this_year)
    is_charity = actor.charity_id is not None
    page = await repository.list_donations(
        session,
        actor,
        statuses=[status] if status else None,
        charity_id=None,
        cursor=query.get("cursor") or None,
        limit=25,
        newest_first=True,
    )
    context: dict[str, Any] = {
        "donations": await donations_out(session, page.items, settings),
        "next_cursor": page.next_cursor,
        "status": status,
        "status_choices": DonationStatus.options(),
        "statuses": DonationStatus,
        "statement_path": statement_path,
        "year": year,
        "years": sorted({this_year, *await repository.years_with_donations(session, actor, settings.tz)}, reverse=True),
        "totals": await repository.year_totals(session, actor, year, settings.tz),
        "is_charity": is_charity,
        "can_handle": can(request.user.role, Permission.handle_money),
        "error": error,
    }
    if not is_charity:
        balance, held = await pool.balance(session), await reserved_cents(session)
        pending = await repository.list_donations(
            session, actor, statuses=PENDING, charity_id=None, cursor=None, limit=PENDING_SHOWN
        )
        context.update(
            pending=await donations_out(session, pending.items, settings),
            pending_more=pending.next_cursor is not None,
            balance=balance,
            held=held,
            run_problem=charities.readiness(await charities.active_charities(session)),
            cron=settings.donations_cron,
        )
    return Template("donations/list.html", context=context, status_code=status_code, media_type=MediaType.HTML)


@get("/donations", guards=[requires(Permission.read_money)], include_in_schema=False)
async def donations_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor
) -> Template:
    return await _list_page(request, state, session, actor)


@post("/donations/run", guards=[requires(Permission.handle_money)], include_in_schema=False)
async def run_from_page(request: Request[Any, Any, Any], state: State, actor: CurrentActor) -> Any:
    try:
        _, made = await start_run(state, actor, "page")
    except DomainError as exc:
        async with state.sessionmaker() as session:
            return await _list_page(request, state, session, actor, error=exc.detail, status_code=exc.status)
    note = f"?ran={len(made)}"
    return Redirect(f"/donations{note}", status_code=303)


async def _detail_page(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    actor: Actor,
    donation_id: int,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    error_for: str = "",
    status_code: int = 200,
) -> Template:
    settings = state.settings
    donation = await service.get_donation(session, actor, donation_id)
    detail = await detail_out(session, actor, donation, settings)
    lines = await repository.lines(session, donation_id, cursor=request.query_params.get("lines") or None, limit=100)
    history = await statements.history(session, donation_id)
    is_charity = actor.charity_id is not None
    trail = []
    if not is_charity:
        records = await audit.list_records(
            session, entity_type="donation", entity_id=str(donation_id), actor=None, cursor=None, limit=200
        )
        trail = [
            {"label": STEP_LABELS.get(r.action, r.action), "actor": r.actor, "at": r.at, "details": _details(r.after)}
            for r in records.items
        ]
    role = request.user.role
    return Template(
        "donations/detail.html",
        status_code=status_code,
        context={
            "d": detail,
            "status": DonationStatus(donation.status),
            "given": GIVEN,
            "delivery_statuses": DeliveryStatus,
            "lines": lines.items,
            "lines_next": lines.next_cursor,
            "statements": [statement_out(s, history[0].id) for s in history],
            "statement_formats": FORMATS,
            "statement_path": statement_path,
            "trail": trail,
            "is_charity": is_charity,
            "can_handle": can(role, Permission.handle_money),
            "can_acknowledge": can(role, Permission.acknowledge_donation),
            "is_submitter": donation.submitted_by_id is not None and donation.submitted_by_id == actor.user_id,
            "has_approved": any(a.by == actor.name for a in detail.approvals),
            "donor_problems": (await statements.donor_problems_of(session, settings, donation))[0],
            "form": form or {},
            "error": error,
            "error_for": error_for,
        },
        media_type=MediaType.HTML,
    )


@get("/donations/{donation_id:int}", guards=[requires(Permission.read_money)], include_in_schema=False)
async def donation_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, donation_id: int
) -> Template:
    return await _detail_page(request, state, session, actor, donation_id)


async def _act(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    actor: Actor,
    donation_id: int,
    step: str,
    form: dict[str, str],
    work: Callable[[], Awaitable[Any]],
) -> Any:
    """A step's form, through submit_form; refused, the donation's page again with the reason beside that step."""

    async def show(refused: Refused) -> Template:
        if refused.status_code == 404 and refused.cause is not None:
            raise refused.cause  # another charity's donation, or none: not found, not a refused step
        return await _detail_page(
            request, state, session, actor, donation_id, form=refused.form, error=refused.message, error_for=step,
            status_code=refused.status_code,
        )  # fmt: skip

    return await submit_form(session, work, form_id=step, form=form, show=show, done=f"/donations/{donation_id}")


def _form(data: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in data.items() if k != "_csrf_token"}


@post("/donations/{donation_id:int}/{step:str}", guards=[requires(Permission.read_money)], include_in_schema=False)
async def step_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    donation_id: int,
    step: str,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    form = _form(data)
    settings = state.settings
    steps: dict[str, Callable[[], Awaitable[Any]]] = {
        "submit": lambda: service.submit(session, actor, donation_id),
        "approve": lambda: service.approve(session, actor, settings, donation_id),
        "reject": lambda: service.reject(session, actor, donation_id, form.get("reason", "")),
        "cancel": lambda: service.cancel(session, actor, settings, donation_id, form.get("reason", "")),
        "mark-paid": lambda: service.mark_paid(session, actor, donation_id, form.get("reference", "")),
        "acknowledge": lambda: service.acknowledge(session, actor, donation_id),
        "correct": lambda: service.correct_statement(session, actor, settings, donation_id, form.get("reason", "")),
        "redeliver": lambda: service.redeliver(session, actor, donation_id),
    }
    work = steps.get(step)
    if work is None:
        await service.get_donation(session, actor, donation_id)  # another charity's donation stays "not found"
        return await _detail_page(
            request,
            state,
            session,
            actor,
            donation_id,
            error=gettext("There is no step called {step}.").format(step=repr(step)),
            status_code=404,
        )
    return await _act(request, state, session, actor, donation_id, step, form, work)


async def _download(
    request: Request[Any, Any, Any], session: Any, actor: Actor, donation_id: int, statement_id: int | None
) -> Response[bytes]:
    """The same files as the API, for a browser session (the API takes bearer tokens only)."""
    await service.get_donation(session, actor, donation_id)
    found = await statements.with_documents(session, donation_id, statement_id)
    return download(found, request.url.path.rsplit(".", 1)[-1], current=statement_id is None)


@get(
    route_paths(one=False, under="/donations"),
    guards=[requires(Permission.read_money)],
    include_in_schema=False,
)
async def current_statement_file(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, donation_id: int
) -> Response[bytes]:
    return await _download(request, session, actor, donation_id, None)


@get(
    route_paths(one=True, under="/donations"),
    guards=[requires(Permission.read_money)],
    include_in_schema=False,
)
async def statement_file(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, donation_id: int, statement_id: int
) -> Response[bytes]:
    return await _download(request, session, actor, donation_id, statement_id)


DONATION_VIEW_HANDLERS = [
    donations_page,
    run_from_page,
    donation_page,
    step_from_page,
    current_statement_file,
    statement_file,
]
