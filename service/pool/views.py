"""Finance pages: the pool ledger with per-category totals, adjustments, and the fleet's indicative value."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.companies import service as companies
from service.errors import DomainError
from service.money import decimal_point, parse_amount
from service.pool import service
from service.pool.api import pool_view
from service.pool.ledger import EntryKind
from service.pool.schemas import AdjustmentRequest
from service.valuation.revalue import fleet_summary
from service.web.deps import CurrentActor, DbSession
from service.web.forms import Refused, submit_form


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


async def _render(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    query: dict[str, str],
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    start, end = _date(query.get("from")), _date(query.get("to"))
    kind = query.get("kind") or None
    pool = await pool_view(
        state,
        session,
        start,
        end,
        kind if kind in EntryKind.values() else None,
        None,
        query.get("cursor") or None,
        50,
    )
    balances = await service.balances_by_company(session)
    choices = await companies.active_companies(session, [c for c, _cents in balances])
    form = dict(form or {})
    if "company_id" not in form and (preselected := companies.preselected_company(choices)) is not None:
        form["company_id"] = str(preselected)
    return Template(
        "pool/index.html",
        status_code=status_code,
        context={
            "pool": pool,
            "fleet": await fleet_summary(session),
            # Per company only when there is more than one: else the balance above is the one company's.
            "balances": balances if len(balances) > 1 else [],
            "companies": choices if len(choices) > 1 else [],
            "query": query,
            "kinds": EntryKind,
            "form": form,
            "errors": errors or {},
            "can_adjust": can(request.user.role, Permission.handle_money),
        },
        media_type=MediaType.HTML,
    )


@get("/pool", guards=[requires(Permission.read_ledger)], include_in_schema=False)
async def pool_page(request: Request[Any, Any, Any], state: State, session: DbSession) -> Template:
    return await _render(request, state, session, dict(request.query_params))


@post("/pool/adjustments", guards=[requires(Permission.handle_money)], include_in_schema=False)
async def adjust_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    form = {k: v for k, v in data.items() if k != "_csrf_token"}
    body = {"amount": decimal_point(form.get("amount", "").strip()), "reason": form.get("reason", "")}
    for optional in ("device_id", "company_id"):
        if form.get(optional):
            body[optional] = form[optional]

    async def adjust() -> None:
        parsed = AdjustmentRequest.model_validate(body)
        await service.adjust(
            session, actor, parse_amount(parsed.amount), parsed.reason, parsed.device_id, parsed.company_id
        )

    async def show(refused: Refused) -> Template:
        errors = refused.errors
        if isinstance(refused.cause, DomainError):
            # The whole sentence (it may explain the balance), beside the field it names, else the amount.
            errors = {next(iter(errors)): refused.message}
        return await _render(request, state, session, {}, refused.form, errors, refused.status_code)

    return await submit_form(session, adjust, form_id="adjustment", form=form, show=show, done="/pool",
                             default_field="amount")  # fmt: skip


POOL_VIEW_HANDLERS = [pool_page, adjust_from_page]
