from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, QueryParameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import InvalidInput
from service.i18n import _
from service.money import format_cents, parse_amount
from service.pool import service
from service.pool.ledger import EntryKind
from service.pool.models import PoolEntry
from service.pool.schemas import AdjustmentRequest, CategoryTotalOut, EntryOut, FleetValueOut, PoolOut
from service.valuation.revalue import fleet_summary
from service.web.deps import CurrentActor, DbSession, PageLimit


def entry_out(e: PoolEntry) -> EntryOut:
    assert e.id is not None
    return EntryOut(
        id=e.id,
        company_id=e.company_id,
        kind=e.kind,
        amount=format_cents(e.amount_cents),
        balance_after=format_cents(e.balance_after_cents),
        device_id=e.device_id,
        valuation_id=e.valuation_id,
        category=e.category,
        reason=e.reason,
        actor=e.actor,
        at=e.at,
    )


def period(state: State, start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Dates are the installation's calendar days; the end date is included."""
    if start and end and end < start:
        raise InvalidInput.field("to", _("is before from"))
    tz = state.settings.tz
    return (
        datetime.combine(start, time.min, tz) if start else None,
        datetime.combine(end + timedelta(days=1), time.min, tz) if end else None,
    )


async def pool_view(
    state: State,
    session: Any,
    start: date | None,
    end: date | None,
    kind: str | None,
    device_id: int | None,
    cursor: str | None,
    limit: int,
    company_id: int | None = None,
) -> PoolOut:
    if kind is not None and kind not in EntryKind.values():
        raise InvalidInput.field("kind", _("use one of {kinds}").format(kinds=", ".join(EntryKind.values())))
    lo, hi = period(state, start, end)
    page = await service.list_entries(
        session, start=lo, end=hi, kind=kind, device_id=device_id, cursor=cursor, limit=limit, company_id=company_id
    )
    totals = [
        CategoryTotalOut(
            category=t.category,
            credited=format_cents(t.credits_cents),
            corrections=format_cents(t.other_cents),
            net=format_cents(t.credits_cents + t.other_cents),
            devices=t.devices,
        )
        for t in await service.totals_by_category(session, lo, hi)
    ]
    return PoolOut(
        balance=format_cents(await service.balance(session, company_id)),
        currency=state.settings.currency,
        period_from=start,
        period_to=end,
        totals_by_category=totals,
        items=[entry_out(e) for e in page.items],
        next_cursor=page.next_cursor,
    )


class PoolController(Controller):
    path = "/api/v1/pool"
    tags = ["pool"]

    @get("/", guards=[requires(Permission.read_ledger)], summary="Balance, ledger entries, per-category totals")
    async def get_pool(
        self,
        state: State,
        session: DbSession,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        kind: str | None = None,
        device_id: int | None = None,
        company_id: Annotated[int | None, QueryParameter(description="one company's pool: balance and entries")] = None,
        cursor: str | None = None,
        limit: PageLimit = 100,
    ) -> PoolOut:
        return await pool_view(state, session, start, end, kind, device_id, cursor, limit, company_id)

    @post("/adjustments", guards=[requires(Permission.handle_money)], status_code=201)
    async def adjust(self, session: DbSession, actor: CurrentActor, data: JSONBody[AdjustmentRequest]) -> EntryOut:
        entry = await service.adjust(
            session, actor, parse_amount(data.amount), data.reason, data.device_id, data.company_id
        )
        return entry_out(entry)


@get(
    "/api/v1/fleet-value",
    guards=[requires(Permission.read_ledger)],
    tags=["pool"],
    summary="Indicative value of the devices in service, from the latest revaluation",
)
async def fleet_value(state: State, session: DbSession) -> FleetValueOut:
    summary = await fleet_summary(session)
    return FleetValueOut(
        total=format_cents(summary["total_cents"]),
        currency=state.settings.currency,
        computed_at=summary["computed_at"],
        by_category=[{**c, "value": format_cents(c.pop("value_cents"))} for c in summary["by_category"]],
    )
